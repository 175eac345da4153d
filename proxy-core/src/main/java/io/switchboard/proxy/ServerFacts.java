package io.switchboard.proxy;

/**
 * What the proxy has learned about the Redis servers behind it, shared by all event loops and
 * written rarely (on each backend handshake), hence volatile rather than per-loop.
 */
final class ServerFacts {

  private volatile String version = "7.0.0";

  String version() {
    return version;
  }

  void version(String newVersion) {
    if (newVersion != null && !newVersion.isEmpty()) {
      version = newVersion;
    }
  }
}
