// An MQTT 3.1.1 test client on libmosquitto, driven from the calling thread
// (no background thread, no automatic reconnect): every call pumps the
// network loop until its answer arrives or its timeout passes, so each wait
// is bounded and the test decides what happens next.
//
//   MqttTestClient client;
//   auto connected = client.Connect({"localhost", port, "device_x", password, ca_file});
//   ASSERT_TRUE(connected.ok) << connected.error;
//   ASSERT_TRUE(client.Subscribe("iot/device/x/#"));
//   ASSERT_TRUE(client.Publish("iot/device/x/t", "hello"));
//   EXPECT_EQ(client.WaitForMessage("iot/device/x/t"), "hello");
//
// Not thread-safe: use one object from one thread. Several objects may be
// used from one thread (each has its own connection).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

struct mosquitto;
struct mosquitto_message;

namespace switchboard::testing {

struct MqttConnectOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;  // empty: none
  std::string password;  // empty: none
  // PEM file of the CA to verify the broker with; empty: plain MQTT. With a
  // CA the certificate chain and host name are always verified.
  std::string ca_file;
  int keepalive = 60;
  std::chrono::milliseconds timeout{5000};
};

struct MqttConnectResult {
  bool ok = false;                  // CONNACK 0 received
  std::optional<int> connack_code;  // when a CONNACK arrived (5 = not authorized)
  std::string error;                // why not ok: libmosquitto's error and log lines
                                    // (e.g. OpenSSL's "certificate verify failed")
};

class MqttTestClient {
 public:
  // `client_id` empty: a random one.
  explicit MqttTestClient(std::string client_id = "");
  ~MqttTestClient();  // disconnects
  MqttTestClient(const MqttTestClient&) = delete;
  MqttTestClient& operator=(const MqttTestClient&) = delete;

  MqttConnectResult Connect(const MqttConnectOptions& options);
  bool connected() const { return connected_; }

  // Subscribes with QoS 1 and waits for the SUBACK. Mosquitto grants
  // subscriptions its ACL denies (PITFALLS): test delivery, not this.
  // `granted_qos` gets the SUBACK's code (0..2, or 128 for failure).
  bool Subscribe(const std::string& topic, int* granted_qos = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Publishes with QoS 1 and waits for the PUBACK. Mosquitto acknowledges
  // and drops a publish its ACL denies: true says nothing about delivery.
  bool Publish(const std::string& topic, const std::string& payload,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The payload of the first message received on exactly `topic` (removed
  // from the queue), or nullopt when none arrives within `timeout`.
  std::optional<std::string> WaitForMessage(
      const std::string& topic, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  void Disconnect();

 private:
  static void OnConnect(mosquitto*, void* self, int rc);
  static void OnDisconnect(mosquitto*, void* self, int rc);
  static void OnSubscribe(mosquitto*, void* self, int mid, int count, const int* granted);
  static void OnPublish(mosquitto*, void* self, int mid);
  static void OnMessage(mosquitto*, void* self, const mosquitto_message* message);
  static void OnLog(mosquitto*, void* self, int level, const char* line);

  // Pumps the network until `done()` or the timeout; false on timeout or
  // when the connection is lost.
  template <typename Done>
  bool PumpUntil(Done done, std::chrono::milliseconds timeout);

  mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  bool lost_ = false;
  std::optional<int> connack_;
  std::optional<int> disconnect_rc_;
  int loop_error_ = 0;
  std::map<int, int> acked_subscribes_;                       // mid -> granted QoS
  std::set<int> acked_publishes_;                             // mids
  std::deque<std::pair<std::string, std::string>> messages_;  // topic, payload
  std::string log_;
};

}  // namespace switchboard::testing
