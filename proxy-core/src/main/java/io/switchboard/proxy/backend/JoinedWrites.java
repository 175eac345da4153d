package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * What one channel is given to write between two flushes, joined into one buffer while each piece
 * begins where the last one ended in the same buffer. The framers emit every command and every
 * reply as a slice of the buffer it was read into, so a client's 16 pipelined commands are 16
 * adjacent slices, and so are their 16 replies in the server's read. Netty's cost per message (an
 * outbound entry from a recycler, two atomic updates of the pending bytes, an iovec, a release once
 * written) is then paid once per run of adjacent pieces instead of once per piece.
 *
 * <p>Adjacent means: slices of the same buffer (found through {@code unwrap()}), the next one at
 * the memory address where the run ends. Anything else (a rebuilt inline command, a reply the proxy
 * made, a heap buffer) ends the run and is written as it is, so the order is kept. A joined piece
 * is released at once; the run's first piece keeps the buffer alive until the run is handed to the
 * channel as one slice of it. Confined to the channel's event loop.
 */
public final class JoinedWrites {

  /** The run's first piece (owned), or null when no run is open. */
  private ByteBuf first;

  /** The buffer the run's pieces are slices of. */
  private ByteBuf runBuffer;

  /** The memory address just past the run, and the run's length. */
  private long end;

  private int length;

  /** Whether pieces after the first joined the run (and were released). */
  private boolean joined;

  /**
   * Takes {@code piece} (and its reference) for {@code channel}, to be written by the next flush.
   */
  public void write(Channel channel, ByteBuf piece) {
    if (first != null) {
      if (continuesRun(piece)) {
        int n = piece.readableBytes();
        length += n;
        end += n;
        joined = true;
        piece.release();
        return;
      }
      writeRun(channel);
    }
    ByteBuf buffer = piece.unwrap() == null ? null : bufferOf(piece);
    if (buffer != null && piece.hasMemoryAddress() && buffer.hasMemoryAddress()) {
      first = piece;
      runBuffer = buffer;
      length = piece.readableBytes();
      end = piece.memoryAddress() + piece.readerIndex() + length;
      joined = false;
    } else {
      channel.write(piece, channel.voidPromise());
    }
  }

  private boolean continuesRun(ByteBuf piece) {
    return piece.hasMemoryAddress()
        && piece.memoryAddress() + piece.readerIndex() == end
        && bufferOf(piece) == runBuffer;
  }

  /**
   * The buffer a slice was cut from: through a leak detector's wrapper too (tests run with one),
   * whose {@code unwrap()} is the slice it wraps.
   */
  private static ByteBuf bufferOf(ByteBuf piece) {
    ByteBuf buffer = piece;
    for (ByteBuf inner = buffer.unwrap(); inner != null; inner = inner.unwrap()) {
      buffer = inner;
    }
    return buffer;
  }

  /** Hands the open run to the channel: before its flush, or a write that must not overtake it. */
  public void writeRun(Channel channel) {
    if (first == null) {
      return;
    }
    ByteBuf run = first;
    ByteBuf buffer = runBuffer;
    first = null;
    runBuffer = null;
    if (!joined) {
      channel.write(run, channel.voidPromise());
      return;
    }
    int offset = (int) (run.memoryAddress() + run.readerIndex() - buffer.memoryAddress());
    ByteBuf whole = buffer.retainedSlice(offset, length);
    if (buffer == run.unwrap()) {
      run.release();
      channel.write(whole, channel.voidPromise());
    } else {
      // Netty's leak detector (on in the tests, or by -Dio.netty.leakDetection.level) wraps the
      // buffer and its slices, and sees it freed only by a release through a wrapper: the first
      // piece is let go after the joined slice, so the buffer's last release goes through it.
      channel.write(whole).addListener(written -> run.release());
    }
  }

  /** Bytes given and not yet handed to the channel. */
  public int pendingBytes() {
    return first == null ? 0 : length;
  }

  /** The channel is gone: the open run is dropped. */
  public void discard() {
    if (first != null) {
      first.release();
      first = null;
      runBuffer = null;
    }
  }
}
