// SWITCHBOARD_EXPORT: the one mark of what libswitchboard_sdk.so exports.
//
// The SDK library is compiled with -fvisibility=hidden
// -fvisibility-inlines-hidden, so a symbol is visible to plugins only when
// its declaration in these headers carries this macro. Interface classes
// (Resolver, ResolveContext, BrokerDirectory, Logger) carry it on the class
// and define their virtual destructor out of line in the SDK library: that
// destructor is the class's key function, so its vtable and type_info are
// emitted there once and shared by the host and every plugin (catch and
// dynamic_cast work across the boundary).
//
// Plugins are built with hidden visibility too (Switchboard::sdk sets it);
// this macro makes the same declarations bind to the SDK library. Never use
// it in a plugin of your own: SWITCHBOARD_RESOLVER_PLUGIN (abi.h) exports
// what the host looks up.
#pragma once

#define SWITCHBOARD_EXPORT __attribute__((visibility("default")))
