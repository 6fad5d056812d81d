# Debian packages with `cpack -G DEB` (scripts/package builds them; docs in
# README.md "Install from Debian packages"). Only with -DSWITCHBOARD_PACKAGING=ON:
# the files below go to absolute paths (/etc, /lib/systemd/system), which a
# plain `cmake --install --prefix P` must never touch. The packages install
# under /usr (CPACK_PACKAGING_INSTALL_PREFIX) with the build's own relative
# directories (lib/, not a multiarch one, unless the build's prefix was
# /usr): the binary finds its plugins in <exe>/../lib/switchboard/plugins,
# which is /usr/lib/switchboard/plugins, the default plugin_dirs entry too.
#
#   switchboard        server, built-in plugins, libswitchboard_sdk.so (the
#                      server and every plugin link it), admin panel, OpenAPI
#                      document, example configs, /etc/switchboard/switchboard.yaml
#                      (conffile), switchboard.service
#   switchboard-dev    SDK headers, the CMake package (find_package(Switchboard)
#                      from /usr); depends on switchboard for the SDK library
#   switchboard-agent  the reference device agent, switchboard-agent.service
#
# Install components: `server` (the default, top-level CMakeLists.txt),
# `dev` (core/CMakeLists.txt), `agent` (agent/); `mosquitto` (the broker
# plugin) is not packaged.
set(SWITCHBOARD_DEB_DIR ${PROJECT_SOURCE_DIR}/packaging/debian)

install(FILES ${SWITCHBOARD_DEB_DIR}/switchboard.yaml DESTINATION /etc/switchboard COMPONENT server)
install(FILES ${SWITCHBOARD_DEB_DIR}/switchboard.service DESTINATION /lib/systemd/system
        COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard
        COMPONENT server)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard/docs
        COMPONENT server PATTERN examples EXCLUDE PATTERN images EXCLUDE)
install(FILES ${SWITCHBOARD_DEB_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard
        COMPONENT server)
install(FILES ${SWITCHBOARD_DEB_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard-dev
        COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/geo_resolver
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard-dev/examples COMPONENT dev)
install(FILES ${SWITCHBOARD_DEB_DIR}/switchboard-agent.service DESTINATION /lib/systemd/system
        COMPONENT agent)
install(FILES ${SWITCHBOARD_DEB_DIR}/switchboard-agent.default DESTINATION /etc/default
        RENAME switchboard-agent COMPONENT agent)
install(FILES ${SWITCHBOARD_DEB_DIR}/copyright ${PROJECT_SOURCE_DIR}/agent/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard-agent COMPONENT agent)

# Debian wants a changelog in each package's doc folder, compressed.
foreach(package switchboard switchboard-dev switchboard-agent)
  file(WRITE ${PROJECT_BINARY_DIR}/packaging/${package}/changelog.Debian
       "${package} (${PROJECT_VERSION}-1) unstable; urgency=medium\n\n"
       "  * Packaged with cpack (scripts/package).\n\n"
       " -- Switchboard maintainers <maintainers@switchboard.example.org>  Sat, 05 Dec 2026 00:00:00 +0000\n")
  execute_process(COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/packaging/${package}/changelog.Debian)
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/packaging/switchboard/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard COMPONENT server)
install(FILES ${PROJECT_BINARY_DIR}/packaging/switchboard-dev/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard-dev COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/packaging/switchboard-agent/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard-agent COMPONENT agent)

# Maintainer scripts and conffiles under the names dpkg wants.
set(control ${PROJECT_BINARY_DIR}/packaging)
foreach(script postinst prerm postrm)
  configure_file(${SWITCHBOARD_DEB_DIR}/switchboard.${script} ${control}/server/${script} COPYONLY)
endforeach()
file(WRITE ${control}/server/conffiles "/etc/switchboard/switchboard.yaml\n")
# libswitchboard_sdk.so is a shared library in /usr/lib: refresh ld.so's cache.
file(WRITE ${control}/server/triggers "activate-noawait ldconfig\n")
file(WRITE ${control}/agent/conffiles "/etc/default/switchboard-agent\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME switchboard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Switchboard maintainers <maintainers@switchboard.example.org>")
set(CPACK_PACKAGE_VENDOR "Switchboard")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server dev agent)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://switchboard.example.org/")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME switchboard)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "nginx")
set(CPACK_COMPONENT_SERVER_DESCRIPTION
    "MQTT broker assignment service for IoT devices\nSwitchboard tells every device which MQTT broker to use and hands it what it\nneeds to connect. The decision is made by a chain of resolver plugins. This\npackage holds the server, its built-in plugins, the admin panel and a\nhardened systemd unit.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${control}/server/postinst;${control}/server/prerm;${control}/server/postrm;${control}/server/conffiles;${control}/server/triggers")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME switchboard-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "switchboard (= ${PROJECT_VERSION}-1), libsoci-dev, libboost-dev, libboost-filesystem-dev, libsqlite3-dev, libpq-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "Switchboard resolver plugin SDK\nHeaders and the CMake package (find_package(Switchboard), target\nSwitchboard::sdk) to build resolver plugins out of tree; the SDK library\nitself ships in the switchboard package.")

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME switchboard-agent)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
    "Switchboard reference device agent\nRegisters a device with a Switchboard server, connects to the MQTT broker\nit is handed, follows reassignments and fails over between brokers.")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA "${control}/agent/conffiles")

include(CPack)
