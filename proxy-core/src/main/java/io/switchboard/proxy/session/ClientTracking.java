package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One session's {@code CLIENT TRACKING} state (default mode, OPTIN, OPTOUT, NOLOOP), and the {@code
 * CLIENT TRACKING}, {@code CACHING}, {@code GETREDIR} and {@code TRACKINGINFO} answers, with
 * Redis's texts for invalid combinations (networking.c, clientCommand).
 *
 * <p>A tracking RESP3 session sends its commands over connections that have tracking on ({@link
 * io.switchboard.proxy.backend.BackendPool#tracking}); which of its reads the server's
 * invalidations concern is the loop's {@link TrackingTable}'s to know. A BCAST session hears what
 * its prefix group's connections hear ({@link BroadcastTracking}). Where invalidations go, itself
 * or a REDIRECT target, is {@link TrackingDelivery}'s.
 */
final class ClientTracking implements BroadcastTracking.Member {

  private final ClientSession session;
  private final TrackingTable table;
  private final BroadcastTracking broadcast;
  private final ByteBufAllocator alloc;
  private final ClientDirectory directory;
  private final TrackingDelivery delivery;

  private boolean on;
  private boolean bcast;
  private boolean optIn;
  private boolean optOut;
  private boolean noLoop;

  /** CLIENT CACHING yes (OPTIN) or no (OPTOUT) was given for the next command. */
  private boolean cachingGiven;

  /** BCAST: the key prefixes whose writes the session hears of ("" for every key). */
  private final List<String> prefixes = new ArrayList<>();

  /** Readers of this session in the loop's table: what its closing leaves behind there. */
  int readers;

  ClientTracking(ClientSession session, SessionLoop loop, ClientDirectory directory) {
    this.session = session;
    this.table = loop.tracking();
    this.broadcast = loop.broadcast();
    this.alloc = loop.backend().alloc();
    this.directory = directory;
    this.delivery = new TrackingDelivery(session, directory, alloc);
  }

  TrackingDelivery delivery() {
    return delivery;
  }

  /** Whether invalidations reach anyone: tracking on, in RESP3 or with a redirect. */
  boolean delivers() {
    return on && delivery.reachesSomeone();
  }

  /**
   * Whether the session's commands go over tracking connections: in default mode, where the server
   * tracks what they read (BCAST needs no tracked reads).
   */
  boolean usesTrackingPools() {
    return delivers() && !bcast;
  }

  @Override
  public boolean listening() {
    return !session.isClosed() && delivers();
  }

  @Override
  public void invalidated(ByteBuf payload) {
    delivery.tell(payload);
  }

  @Override
  public void invalidatedAll() {
    delivery.all();
  }

  /** For CLIENT LIST and CLIENT INFO's flags. */
  boolean bcast() {
    return bcast;
  }

  /** For CLIENT LIST and CLIENT INFO's flags. */
  boolean on() {
    return on;
  }

  /** For CLIENT LIST's {@code redir=}: the redirect (0: none), or -1 with tracking off. */
  long redirect() {
    return on ? delivery.redirect : -1;
  }

  /** For CLIENT LIST's flags: the redirect target was gone when an invalidation was due. */
  boolean brokenRedirect() {
    return on && delivery.broken;
  }

  /**
   * Marks a read the server will track for this session: in default mode every read, with OPTIN
   * only after CLIENT CACHING yes, with OPTOUT unless CLIENT CACHING no (Redis's
   * trackingRememberKeys).
   */
  void mark(PendingCommand command) {
    if (!usesTrackingPools() || !command.spec.isRead()) {
      return;
    }
    if ((optIn && !cachingGiven) || (optOut && cachingGiven)) {
      return;
    }
    command.rare().tracked = TrackingTable.WANTED;
  }

  /**
   * After each command: CLIENT CACHING applies to the next command only (a whole transaction inside
   * MULTI), as Redis clears the flag in resetClient unless the command was CLIENT itself.
   */
  void afterCommand(CommandSpec spec) {
    if (cachingGiven && !spec.name().startsWith("CLIENT|") && !session.transaction().inMulti()) {
      cachingGiven = false;
    }
  }

  /**
   * A command leaves for {@code target}. A marked read is counted in flight there. A NOLOOP
   * session's write forgets the session's reads of its keys at once: an invalidation a replica
   * sends for this very write may come before the primary's reply, and must not reach the writer.
   * One for an earlier write by another client is then not told either, which NOLOOP allows: the
   * writer's cache takes its own write, which comes later.
   */
  void sent(PendingCommand command, BackendConnection target) {
    if (command.tracked() != null && target.pool().tracking()) {
      table.sent(session, command, target);
    } else if (noLoop && on && readers > 0 && command.spec != null && !command.spec.isRead()) {
      ByteBuf request = command.frame();
      if (request != null) {
        table.wroteItself(session, command.spec, request, target, true);
      }
    }
  }

  /**
   * A command's reply arrived, in its connection's order with the server's invalidations: its reads
   * are no longer in flight.
   */
  void answered(PendingCommand command) {
    if (command.tracked() != null) {
      table.answered(command);
    }
  }

  /**
   * A command has its final reply (no redirection or retry follows): a write settles this session's
   * reads of the keys it wrote ({@link TrackingTable#wroteItself}). The keys are read off the copy
   * a write keeps for a retry, still held.
   */
  void settled(PendingCommand command) {
    if (on
        && readers > 0
        && command.spec != null
        && !command.spec.isRead()
        && command.hasRetryCopy()
        && command.sentTo != null
        && !Replies.isError(command.reply)) { // an error: nothing written
      table.wroteItself(session, command.spec, command.retryFrame(), command.sentTo, noLoop);
    }
  }

  /** A command handed back unsent: what it counted in flight was never read by the server. */
  void unsent(PendingCommand command) {
    if (command.tracked() != null) {
      table.answered(command);
    }
  }

  /** The session closed: its readers are dead weight in the table until swept. */
  void closed() {
    off();
    if (readers > 0) {
      table.sessionClosed(readers);
    }
  }

  ByteBuf answer(CommandSpec spec, ArgCursor args) {
    return switch (spec.name()) {
      case "CLIENT|CACHING" -> caching(args.seek(2));
      case "CLIENT|GETREDIR" -> Replies.integer(alloc, redirect());
      default -> trackingInfo();
    };
  }

  /**
   * CLIENT TRACKING ON|OFF. With BCAST the OK comes once every primary has the group's broadcast
   * on: a write after the OK is then always heard, as on Redis.
   */
  PendingCommand tracking(ArgCursor args) {
    ByteBuf reply = switchTracking(args);
    if (!joinedBroadcast) {
      return PendingCommand.answered(session, reply);
    }
    joinedBroadcast = false;
    reply.release();
    PendingCommand later = PendingCommand.answered(session, null);
    broadcast.whenReady(
        prefixes,
        refused -> {
          if (refused != null) {
            off(); // a primary refused it (its ACL, say): the session is not tracking
          }
          session.answerLater(later, refused == null ? Replies.ok() : error(refused));
        });
    return later;
  }

  /** The last CLIENT TRACKING ON joined a BCAST group: its OK waits for the group. */
  private boolean joinedBroadcast;

  private ByteBuf switchTracking(ArgCursor args) {
    args.seek(2);
    boolean turnOn = args.is("ON");
    boolean turnOff = args.is("OFF");
    boolean bcastGiven = false;
    boolean optin = false;
    boolean optout = false;
    boolean noloop = false;
    long redirectTo = 0;
    List<String> newPrefixes = new ArrayList<>();
    for (int j = 3; j < args.count(); j++) {
      boolean more = j < args.count() - 1;
      args.seek(j);
      if (args.is("REDIRECT") && more) {
        args.seek(++j);
        if (redirectTo != 0) {
          return error("ERR A client can only redirect to a single other client");
        }
        redirectTo = args.longValue();
        if (redirectTo == Long.MIN_VALUE) {
          return error("ERR value is not an integer or out of range");
        }
        if (directory.find(redirectTo) == null) {
          return error("ERR The client ID you want redirect to does not exist");
        }
      } else if (args.is("BCAST")) {
        bcastGiven = true;
      } else if (args.is("OPTIN")) {
        optin = true;
      } else if (args.is("OPTOUT")) {
        optout = true;
      } else if (args.is("NOLOOP")) {
        noloop = true;
      } else if (args.is("PREFIX") && more) {
        args.seek(++j);
        newPrefixes.add(args.latin1());
      } else {
        return error("ERR syntax error");
      }
    }
    if (turnOff) {
      off();
      return Replies.ok();
    }
    if (!turnOn) {
      return error("ERR syntax error");
    }
    ByteBuf refused = refusal(bcastGiven, optin, optout, newPrefixes);
    if (refused != null) {
      return refused;
    }
    if (bcast) {
      broadcast.leave(this, prefixes);
    }
    on = true;
    delivery.redirect = redirectTo;
    delivery.broken = false;
    bcast = bcastGiven;
    optIn = optin;
    optOut = optout;
    noLoop = noloop;
    if (bcast) {
      if (prefixes.isEmpty() && newPrefixes.isEmpty()) {
        newPrefixes.add(""); // BCAST without a prefix: every key
      }
      prefixes.addAll(newPrefixes);
      broadcast.join(this, prefixes);
      joinedBroadcast = true;
    }
    return Replies.ok();
  }

  /** Redis's checks of CLIENT TRACKING ON against itself and the tracking already on. */
  private ByteBuf refusal(
      boolean bcastGiven, boolean optin, boolean optout, List<String> newPrefixes) {
    if (!bcastGiven && !newPrefixes.isEmpty()) {
      return error("ERR PREFIX option requires BCAST mode to be enabled");
    }
    if (on && bcast != bcastGiven) {
      return error(
          "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and"
              + " then re-enabling it with a different mode.");
    }
    if (bcastGiven && (optin || optout)) {
      return error("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if (optin && optout) {
      return error("ERR You can't specify both OPTIN mode and OPTOUT mode");
    }
    if ((optin && optOut) || (optout && optIn)) {
      return error(
          "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and"
              + " then re-enabling it with a different mode.");
    }
    return bcastGiven ? prefixCollision(newPrefixes) : null;
  }

  /** Prefixes of one client must not overlap (one a prefix of another), as Redis checks. */
  private ByteBuf prefixCollision(List<String> newPrefixes) {
    for (int i = 0; i < newPrefixes.size(); i++) {
      String prefix = newPrefixes.get(i);
      for (String existing : prefixes) {
        if (overlap(existing, prefix)) {
          return error(
              "ERR Prefix '"
                  + prefix
                  + "' overlaps with an existing prefix '"
                  + existing
                  + "'. Prefixes for a single client must not overlap.");
        }
      }
      for (int j = i + 1; j < newPrefixes.size(); j++) {
        if (overlap(prefix, newPrefixes.get(j))) {
          return error(
              "ERR Prefix '"
                  + prefix
                  + "' overlaps with another provided prefix '"
                  + newPrefixes.get(j)
                  + "'. Prefixes for a single client must not overlap.");
        }
      }
    }
    return null;
  }

  private static boolean overlap(String a, String b) {
    return a.startsWith(b) || b.startsWith(a);
  }

  /** CLIENT TRACKING OFF (and a closing session): every mode and prefix goes. */
  private void off() {
    if (bcast) {
      broadcast.leave(this, prefixes);
    }
    on = false;
    delivery.redirect = 0;
    delivery.broken = false;
    bcast = false;
    optIn = false;
    optOut = false;
    noLoop = false;
    cachingGiven = false;
    prefixes.clear();
  }

  private ByteBuf caching(ArgCursor value) {
    if (!on) {
      return error(
          "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN"
              + " or OPTOUT mode enabled");
    }
    if (value.is("YES")) {
      if (!optIn) {
        return error(
            "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      }
    } else if (value.is("NO")) {
      if (!optOut) {
        return error(
            "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      }
    } else {
      return error("ERR syntax error");
    }
    cachingGiven = true;
    return Replies.ok();
  }

  /** CLIENT TRACKINGINFO: a map of flags, redirect and prefixes, as Redis answers it. */
  private ByteBuf trackingInfo() {
    List<String> flags = new ArrayList<>(4);
    flags.add(on ? "on" : "off");
    if (bcast) {
      flags.add("bcast");
    }
    if (optIn) {
      flags.add("optin");
      if (cachingGiven) {
        flags.add("caching-yes");
      }
    }
    if (optOut) {
      flags.add("optout");
      if (cachingGiven) {
        flags.add("caching-no");
      }
    }
    if (noLoop) {
      flags.add("noloop");
    }
    if (brokenRedirect()) {
      flags.add("broken_redirect");
    }
    ByteBuf out = alloc.buffer(128);
    Replies.writeMapHeader(out, session.protocol, 3);
    Replies.writeBulk(out, "flags");
    Replies.writeHeader(out, session.protocol == 3 ? '~' : '*', flags.size());
    flags.forEach(flag -> Replies.writeBulk(out, flag));
    Replies.writeBulk(out, "redirect");
    Replies.writeHeader(out, ':', redirect());
    Replies.writeBulk(out, "prefixes");
    Replies.writeHeader(out, '*', prefixes.size());
    prefixes.forEach(p -> Replies.writeBulk(out, p.getBytes(StandardCharsets.ISO_8859_1)));
    return out;
  }

  private ByteBuf error(String text) {
    return Replies.error(alloc, text);
  }
}
