package io.switchboard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;

/**
 * The {@code CLIENT} subcommands the proxy answers itself, because the client's connection ends at
 * the proxy: its id, name, library, reply mode and description are the session's, not those of a
 * backend connection that other clients share. {@code CLIENT PAUSE}, {@code UNPAUSE} and {@code
 * HELP} are the server's and go to the primary. Which subcommands exist, and their arity, come from
 * the primary's command table, so the proxy answers {@code SETINFO} only where Redis would.
 */
final class ClientCommands {

  static final String BAD_NAME =
      "ERR Client names cannot contain spaces, newlines or special characters.";

  private final ClientSession session;
  private final ByteBufAllocator alloc;

  ClientCommands(ClientSession session, ByteBufAllocator alloc) {
    this.session = session;
    this.alloc = alloc;
  }

  /** Answers {@code CLIENT <sub> ...}; arity was checked against {@code spec} already. */
  ByteBuf answer(CommandSpec spec, ArgCursor args) {
    return switch (spec.name()) {
      case "CLIENT|ID" -> Replies.integer(alloc, session.id);
      case "CLIENT|GETNAME" ->
          session.name == null || session.name.isEmpty()
              ? Replies.nil(session.protocol)
              : Replies.bulk(alloc, session.name);
      case "CLIENT|SETNAME" -> setName(args.seek(2).string());
      case "CLIENT|SETINFO" -> setInfo(args);
      case "CLIENT|INFO" -> Replies.bulk(alloc, info());
      case "CLIENT|REPLY" -> reply(args.seek(2));
      // Eviction and LRU/LFU touches are about the server's memory and keys, which the proxy's
      // own backend connections decide; the flag is accepted as Redis accepts it.
      case "CLIENT|NO-EVICT", "CLIENT|NO-TOUCH" ->
          args.seek(2).is("ON") || args.is("OFF") ? Replies.ok() : error("ERR syntax error");
      default ->
          error(
              "ERR '"
                  + ClientSession.display(spec).toUpperCase(Locale.ROOT)
                  + "' is not supported by Switchboard: client connections are multiplexed, "
                  + "so per-connection server state cannot be changed or inspected");
    };
  }

  private ByteBuf setName(String candidate) {
    if (!validName(candidate)) {
      return error(BAD_NAME);
    }
    session.name = candidate;
    return Replies.ok();
  }

  private ByteBuf setInfo(ArgCursor args) {
    String attribute = args.seek(2).string();
    boolean name = args.is("LIB-NAME");
    if (!name && !args.is("LIB-VER")) {
      return error("ERR Unrecognized option '" + attribute + "'");
    }
    String value = args.seek(3).string();
    if (!validName(value)) {
      return error("ERR " + attribute + " cannot contain spaces, newlines or special characters.");
    }
    if (name) {
      session.libName = value;
    } else {
      session.libVersion = value;
    }
    return Replies.ok();
  }

  /**
   * CLIENT REPLY ON|OFF|SKIP, as Redis's client flags work: OFF and SKIP themselves get no reply,
   * and ON clears both before its own OK.
   */
  private ByteBuf reply(ArgCursor mode) {
    if (mode.is("ON")) {
      session.replyMode().on();
      return Replies.ok();
    }
    if (mode.is("OFF")) {
      session.replyMode().off();
      return Replies.ok(); // never written: OFF is in force for its own reply
    }
    if (mode.is("SKIP")) {
      session.replyMode().skipNext();
      return Replies.ok(); // never written: SKIP covers its own reply too
    }
    return error("ERR syntax error");
  }

  String info() {
    long age = (System.currentTimeMillis() - session.connectedAtMillis) / 1000;
    return "id="
        + session.id
        + " addr="
        + address(session.channel().remoteAddress())
        + " laddr="
        + address(session.channel().localAddress())
        + " name="
        + (session.name == null ? "" : session.name)
        + " age="
        + age
        + " db="
        + session.db
        + " user="
        + (session.user == null ? "default" : session.user.name)
        + " resp="
        + session.protocol
        + " lib-name="
        + session.libName
        + " lib-ver="
        + session.libVersion
        + "\n";
  }

  static String address(SocketAddress address) {
    return address instanceof InetSocketAddress inet
        ? inet.getAddress().getHostAddress() + ":" + inet.getPort()
        : String.valueOf(address);
  }

  static boolean validName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '!' || c > '~') {
        return false;
      }
    }
    return true;
  }

  private ByteBuf error(String text) {
    return Replies.error(alloc, text);
  }
}
