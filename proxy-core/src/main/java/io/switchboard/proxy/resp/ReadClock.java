package io.switchboard.proxy.resp;

/**
 * One event loop's clock for the times it keeps per command (latency, the slow log, a write's
 * answer for read-your-writes, replica freshness, a request's send time): while a socket read is
 * being framed, the time that read began, so a batch of 16 pipelined commands, or the replies of
 * fifty clients read at once, cost one clock read instead of four per command (these calls were
 * 4.8% of the event loop's CPU at P16). Outside a read (timers, tasks, connects) it reads the
 * clock.
 *
 * <p>The time is taken after the read returned its bytes: anything those bytes answer had happened
 * by then. That is what read-your-writes needs of a write's answer time (an offset asked later
 * covers the write). Confined to its event loop.
 */
public final class ReadClock {

  private long readNanos = System.nanoTime();
  private boolean reading;

  /** {@link System#nanoTime}, or the start of the read being framed. */
  public long now() {
    return reading ? readNanos : System.nanoTime();
  }

  /** A read returned bytes: returns whether another read was already open (then it stays so). */
  boolean readStarted() {
    boolean nested = reading;
    readNanos = System.nanoTime();
    reading = true;
    return nested;
  }

  void readEnded(boolean nested) {
    reading = nested;
  }
}
