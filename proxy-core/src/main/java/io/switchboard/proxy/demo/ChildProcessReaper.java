package io.switchboard.proxy.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes sure no process this JVM starts outlives it, however the JVM ends.
 *
 * <p>A shutdown hook covers a normal exit, an uncaught failure and SIGTERM/SIGINT. A SIGKILL or a
 * crash runs no hook, so a small {@code sh} watchdog also learns each child's pid on its standard
 * input. The kernel closes that pipe when this JVM dies, whatever killed it; the watchdog then
 * reads end-of-file and kills the children still listed. Children that exit are struck off the list
 * first, so a recycled pid is never killed.
 */
final class ChildProcessReaper {

  // Ignores the signals a terminal sends to the whole process group (Ctrl-C in the demo), so the
  // watchdog waits for end-of-file instead of dying first. "-pid" strikes a pid off the list.
  private static final String WATCHDOG =
      """
      trap '' INT HUP TERM QUIT
      live=''
      while IFS= read -r line; do
        case "$line" in
          -*) keep=''; for p in $live; do [ "$p" = "${line#-}" ] || keep="$keep $p"; done; live=$keep ;;
          *) live="$live $line" ;;
        esac
      done
      for p in $live; do kill -9 "$p" 2>/dev/null; done
      """;

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static final OutputStream WATCHDOG_INPUT = startWatchdog();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(Process::destroyForcibly), "switchboard-child-cleanup"));
  }

  private ChildProcessReaper() {}

  /** Kills {@code process} when this JVM ends, unless it has exited by then. */
  static void adopt(Process process) {
    LIVE.add(process);
    tell(Long.toString(process.pid()));
    process
        .onExit()
        .thenRun(
            () -> {
              LIVE.remove(process);
              tell("-" + process.pid());
            });
  }

  private static OutputStream startWatchdog() {
    try {
      Process watchdog =
          new ProcessBuilder("sh", "-c", WATCHDOG)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      return watchdog.getOutputStream();
    } catch (IOException e) {
      // Without sh the shutdown hook still covers every end but SIGKILL and crashes.
      System.err.println(
          "No watchdog for redis-server processes ("
              + e.getMessage()
              + "); a killed JVM may leave them running.");
      return null;
    }
  }

  private static void tell(String line) {
    if (WATCHDOG_INPUT == null) {
      return;
    }
    synchronized (WATCHDOG_INPUT) {
      try {
        WATCHDOG_INPUT.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        WATCHDOG_INPUT.flush();
      } catch (IOException e) {
        // The watchdog is gone (only at JVM exit); the shutdown hook remains.
      }
    }
  }
}
