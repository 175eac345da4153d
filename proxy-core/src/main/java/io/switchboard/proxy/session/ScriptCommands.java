package io.switchboard.proxy.session;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.Shard;

/**
 * Lua scripts across nodes. Scripts are per node and not replicated: SCRIPT LOAD and SCRIPT FLUSH
 * go to every node (the client sees the primary's reply), the proxy remembers the bodies it sees
 * (SCRIPT LOAD, EVAL), loads one on a node before an EVALSHA first reaches it, and answers a
 * NOSCRIPT by loading and running again.
 */
final class ScriptCommands {

  private final ClientSession session;
  private final SessionLoop loop;

  /** For looking into a command again when it is sent (EVALSHA's sha); reused. */
  private final ArgCursor scratch = new ArgCursor();

  ScriptCommands(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
  }

  /** SCRIPT LOAD and SCRIPT FLUSH: every node, the primary's reply. */
  void scriptCache(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    toEveryReplica(spec, frame, args);
    session.dispatcher().forwardToPrimary(spec, frame);
  }

  /**
   * What SCRIPT LOAD and SCRIPT FLUSH do besides reaching the primaries: the proxy remembers the
   * body (or forgets them all), counts the script as loaded on every node of every shard, and sends
   * the command to every replica. The caller sends it to the primary (or, in cluster mode, to every
   * primary).
   */
  void toEveryReplica(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    boolean load = spec.name().equals("SCRIPT|LOAD") && args.count() == 3;
    boolean flush = spec.name().equals("SCRIPT|FLUSH");
    if (load) {
      args.seek(2);
      String sha = loop.scripts().bodies().remember(frame, args.offset(), args.length());
      // The client's SCRIPT LOAD itself goes to the primaries, the broadcast to the replicas: no
      // node needs it again before an EVALSHA (NOSCRIPT still loads it if one lost it).
      for (Shard shard : loop.backend().topology().current().shards()) {
        if (shard.hasPrimary()) {
          loop.scripts().markLoaded(shard.primary(), sha);
        }
        for (HostAndPort replica : shard.replicas()) {
          loop.scripts().markLoaded(replica, sha);
        }
      }
    }
    if (load || flush) {
      loop.broadcastToReplicas(frame.retainedDuplicate());
    }
    if (flush) {
      loop.scripts().bodies().flush();
    }
  }

  /** EVAL's body, remembered for a later EVALSHA. */
  void rememberBody(ByteBuf frame, ArgCursor args) {
    if (args.count() > 1) {
      args.seek(1);
      loop.scripts().bodies().remember(frame, args.offset(), args.length());
    }
  }

  /**
   * Before EVALSHA reaches a node the proxy has not yet loaded the script on, loads it there (when
   * the body is known) on the same connection, so it runs in order; keeps a copy of the request in
   * case the node answers NOSCRIPT anyway (someone flushed its scripts).
   */
  void prepare(PendingCommand command, BackendConnection target) {
    if (!command.hasRetryCopy()) {
      command.keepRetryCopy();
    }
    ArgCursor sha = scratch.reset(command.request).seek(1);
    if (sha.length() != 40) {
      return;
    }
    String key = sha.string();
    byte[] body = loop.scripts().bodies().body(key);
    HostAndPort node = target.pool().node();
    if (body != null && !loop.scripts().loaded(node, key)) {
      target.sendInternal(ScriptCache.loadCommand(loop.backend().alloc(), body), ByteBuf::release);
      loop.scripts().markLoaded(node, key);
    }
  }

  /**
   * EVALSHA or EVALSHA_RO answered NOSCRIPT: load the remembered body on that node and run the call
   * again there; with no body at hand, a replica's NOSCRIPT is retried on the primary (where the
   * client's SCRIPT LOAD went). Still one outstanding command. Commands the client pipelined behind
   * it may have run first; that is only visible if its scripts were flushed under it.
   */
  boolean retry(PendingCommand command) {
    ByteBuf copy = command.takeRetryCopy();
    ByteBuf reply = command.reply;
    boolean noScript =
        reply.readableBytes() > 9
            && reply.toString(reply.readerIndex(), 9, UTF_8).equals("-NOSCRIPT");
    if (!noScript) {
      copy.release();
      return false;
    }
    String sha = scratch.reset(copy).seek(1).string();
    byte[] body = loop.scripts().bodies().body(sha);
    BackendConnection again = command.sentTo;
    if (body != null && again != null && again.usable()) {
      // Someone flushed the node's scripts: load the body there and run the call again.
      again.sendInternal(ScriptCache.loadCommand(loop.backend().alloc(), body), ByteBuf::release);
      loop.scripts().markLoaded(again.pool().node(), sha);
    } else if (again != null && !again.pool().primary()) {
      command.request = copy; // for its keys' shard
      again = session.targets().primary(command); // the client loaded it where SCRIPT LOAD went
      command.request = null;
    } else {
      again = null;
    }
    if (again == null) {
      copy.release();
      return false;
    }
    reply.release();
    command.reply = null;
    command.request = copy;
    session.replies().sendAgain(command, again);
    return true;
  }
}
