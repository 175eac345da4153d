package io.switchboard.proxy.session;

import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.UnixChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One client as CLIENT LIST and CLIENT INFO describe it, field for field as Redis does. Fields
 * about the server's own buffers (query buffer, argv memory, ...) describe the proxy's connection
 * where it has an equivalent (replies queued, bytes waiting to be written) and are 0 where it has
 * none. Built on the session's own event loop.
 */
final class ClientInfo {

  private ClientInfo() {}

  /**
   * The line for {@code session}, without the newline; {@code withLibrary} adds Redis 7.2's {@code
   * lib-name} and {@code lib-ver}, where the server behind the proxy has them.
   */
  static String line(ClientSession session, long nowMillis, boolean withLibrary) {
    long outboundBytes = 0;
    ChannelOutboundBuffer outbound = session.channel().unsafe().outboundBuffer();
    if (outbound != null) {
      outboundBytes = outbound.totalPendingWriteBytes();
    }
    StringBuilder out = new StringBuilder(320);
    out.append("id=").append(session.id);
    out.append(" addr=").append(address(session.channel().remoteAddress()));
    out.append(" laddr=").append(address(session.channel().localAddress()));
    out.append(" fd=")
        .append(session.channel() instanceof UnixChannel unix ? unix.fd().intValue() : -1);
    out.append(" name=").append(session.name == null ? "" : session.name);
    out.append(" age=").append((nowMillis - session.connectedAtMillis) / 1000);
    out.append(" idle=").append(session.idleSeconds());
    out.append(" flags=").append(flags(session));
    out.append(" db=").append(session.db);
    out.append(" sub=").append(session.subscription().channelCount());
    out.append(" psub=").append(session.subscription().patternCount());
    out.append(" ssub=").append(session.subscription().shardChannelCount());
    out.append(" multi=").append(session.transaction().queuedCount());
    out.append(" qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0");
    out.append(" oll=").append(session.pendingReplies());
    out.append(" omem=").append(outboundBytes);
    out.append(" tot-mem=").append(outboundBytes);
    out.append(" events=").append(outboundBytes > 0 ? "rw" : "r");
    out.append(" cmd=").append(session.lastCommandName());
    out.append(" user=").append(userName(session));
    out.append(" redir=").append(session.tracking().redirect());
    out.append(" resp=").append(session.protocol);
    if (withLibrary) {
      out.append(" lib-name=").append(session.libName);
      out.append(" lib-ver=").append(session.libVersion);
    }
    return out.toString();
  }

  /**
   * Redis's client flags as letters: subscribed, in MULTI, blocked, tracking, no-evict, no-touch.
   */
  static String flags(ClientSession session) {
    StringBuilder flags = new StringBuilder(4);
    if (session.subscription().active()) {
      flags.append('P');
    }
    if (session.transaction().inMulti()) {
      flags.append('x');
    }
    if (session.replies().blockedOn() != null) {
      flags.append('b');
    }
    if (session.tracking().on()) {
      flags.append('t');
    }
    if (session.tracking().brokenRedirect()) {
      flags.append('R');
    }
    if (session.tracking().bcast()) {
      flags.append('B');
    }
    if (session.noEvict) {
      flags.append('e');
    }
    if (session.noTouch) {
      flags.append('T');
    }
    return flags.isEmpty() ? "N" : flags.toString();
  }

  /** What {@code GET /clients} shows of this session; called on its event loop. */
  static Map<String, Object> describe(ClientSession session) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", session.id);
    out.put("address", String.valueOf(session.channel().remoteAddress()));
    out.put("name", session.name);
    out.put(
        "lib",
        session.libName.isEmpty()
            ? null
            : session.libName + (session.libVersion.isEmpty() ? "" : " " + session.libVersion));
    out.put("db", session.db);
    out.put("protocol", session.protocol);
    out.put("authenticated", session.user != null);
    out.put("user", session.user == null ? null : session.user.name);
    out.put("state", state(session));
    out.put("commands", session.commands());
    out.put("waitingForReplies", session.replies().size());
    out.put("ageSeconds", (System.currentTimeMillis() - session.connectedAtMillis) / 1000);
    return out;
  }

  private static String state(ClientSession session) {
    if (session.transaction().inMulti()) {
      return "multi";
    }
    if (session.transaction().watching()) {
      return "watch";
    }
    if (session.subscription().active()) {
      return "subscribed";
    }
    return session.replies().blockedOn() != null ? "blocked" : "normal";
  }

  static String userName(ClientSession session) {
    return session.userName();
  }

  static String address(SocketAddress address) {
    return address instanceof InetSocketAddress inet
        ? inet.getAddress().getHostAddress() + ":" + inet.getPort()
        : String.valueOf(address);
  }
}
