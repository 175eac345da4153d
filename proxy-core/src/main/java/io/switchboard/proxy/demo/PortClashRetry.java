package io.switchboard.proxy.demo;

import java.io.IOException;

/**
 * Starts a set of local servers again, on other free ports, when one of them could not start: a
 * port found free can be taken by some process's outgoing connection before the server binds it
 * (seen in CI). Three tries in all; any other failure is thrown at once.
 */
final class PortClashRetry {

  /** One attempt at starting the whole set, which cleans up after itself when it fails. */
  interface Start<T> {
    T attempt() throws IOException;
  }

  private PortClashRetry() {}

  static <T> T start(String what, Start<T> start) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return start.attempt();
      } catch (IOException e) {
        if (attempt == 3 || String.valueOf(e.getMessage()).indexOf(" exited with ") < 0) {
          throw e;
        }
        System.err.println(what + ": " + e.getMessage() + "; starting again on other ports");
      }
    }
  }
}
