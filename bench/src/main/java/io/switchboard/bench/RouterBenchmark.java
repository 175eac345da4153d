package io.switchboard.bench;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.CommandTable;
import io.switchboard.routing.Commands;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the session does with each framed command before choosing a connection: find its name (and
 * subcommand) in the command table straight from the frame's bytes, mixed case, and decide read or
 * write. Time and heap bytes per command.
 */
public class RouterBenchmark extends NanosPerOperation {

  private static final String[][] COMMANDS = {
    {"GET", "key:1"},
    {"set", "key:1", "v"},
    {"HGETALL", "h"},
    {"Incr", "n"},
    {"LRANGE", "l", "0", "99"},
    {"ZADD", "z", "1", "m"},
    {"CLIENT", "SETNAME", "x"},
    {"EXPIRE", "key:1", "10"},
    {"mget", "a", "b", "c"},
    {"SCAN", "0"},
    {"XADD", "s", "*", "f", "v"},
    {"EVALSHA_RO", "0123456789012345678901234567890123456789", "0"},
    {"CONFIG", "GET", "maxmemory"},
    {"PING"},
    {"DEL", "key:1"},
    {"NOSUCHCOMMAND"},
  };

  private final CommandTable table = CommandTable.builtIn();
  private final ArgCursor args = new ArgCursor();
  private ByteBuf[] frames;

  @Setup
  public void setUp() {
    frames = new ByteBuf[COMMANDS.length];
    for (int i = 0; i < COMMANDS.length; i++) {
      frames[i] = Frames.command(COMMANDS[i]);
    }
  }

  @TearDown
  public void tearDown() {
    for (ByteBuf frame : frames) {
      frame.release();
    }
  }

  @Benchmark
  @OperationsPerInvocation(16)
  public int route() {
    int reads = 0;
    for (ByteBuf frame : frames) {
      CommandSpec spec = Commands.classify(table, args.reset(frame));
      if (spec.isRead()) {
        reads++;
      }
    }
    return reads;
  }
}
