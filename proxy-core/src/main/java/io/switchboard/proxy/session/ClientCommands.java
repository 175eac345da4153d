package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.proxy.auth.ClientAuth;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
  private final SessionLoop loop;
  private final ClientAuth auth;
  private final ClientDirectory directory;
  private final ByteBufAllocator alloc;

  ClientCommands(
      ClientSession session, SessionLoop loop, ClientAuth auth, ClientDirectory directory) {
    this.session = session;
    this.loop = loop;
    this.auth = auth;
    this.directory = directory;
    this.alloc = loop.backend().alloc();
  }

  /**
   * Answers {@code CLIENT <sub> ...}; arity was checked against {@code spec} already. LIST and KILL
   * look at every event loop's clients, so their answer comes later.
   */
  PendingCommand answer(CommandSpec spec, ArgCursor args) {
    try {
      return switch (spec.name()) {
        case "CLIENT|LIST" -> list(ClientFilter.list(args));
        case "CLIENT|UNBLOCK" -> unblock(args);
        case "CLIENT|TRACKING" -> session.tracking().tracking(args);
        case "CLIENT|KILL" ->
            args.count() == 3
                ? kill(ClientFilter.address(args.seek(2).string()), true)
                : kill(ClientFilter.kill(args, session, auth::exists), false);
        default -> PendingCommand.answered(session, answerNow(spec, args));
      };
    } catch (ClientFilter.Refused e) {
      return PendingCommand.answered(session, error(e.getMessage()));
    }
  }

  private ByteBuf answerNow(CommandSpec spec, ArgCursor args) {
    return switch (spec.name()) {
      case "CLIENT|ID" -> Replies.integer(alloc, session.id);
      case "CLIENT|GETNAME" ->
          session.name == null || session.name.isEmpty()
              ? Replies.nil(session.protocol)
              : Replies.bulk(alloc, session.name);
      case "CLIENT|SETNAME" -> setName(args.seek(2).string());
      case "CLIENT|SETINFO" -> setInfo(args);
      case "CLIENT|INFO" ->
          Replies.verbatim(alloc, session.protocol, info(session, System.currentTimeMillis()));
      case "CLIENT|REPLY" -> reply(args.seek(2));
      // Eviction and LRU/LFU touches concern the server's memory and keys, which the proxy's own
      // backend connections decide; the flag is kept for CLIENT LIST, as Redis shows it.
      case "CLIENT|NO-EVICT" -> onOff(args.seek(2), on -> session.noEvict = on);
      case "CLIENT|NO-TOUCH" -> onOff(args.seek(2), on -> session.noTouch = on);
      case "CLIENT|CACHING", "CLIENT|GETREDIR", "CLIENT|TRACKINGINFO" ->
          session.tracking().answer(spec, args);
      default ->
          error(
              "ERR '"
                  + Router.display(spec).toUpperCase(Locale.ROOT)
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

  private ByteBuf onOff(ArgCursor value, java.util.function.Consumer<Boolean> set) {
    if (!value.is("ON") && !value.is("OFF")) {
      return error("ERR syntax error");
    }
    set.accept(value.is("ON"));
    return Replies.ok();
  }

  /** One client's line, with a newline, as CLIENT INFO and CLIENT LIST end each. */
  private String info(ClientSession client, long nowMillis) {
    return ClientInfo.line(client, nowMillis, withLibrary()) + "\n";
  }

  /** Redis 7.2 added lib-name and lib-ver with CLIENT SETINFO: shown where the server has it. */
  private boolean withLibrary() {
    return loop.backend().facts().commands().lookup("CLIENT|SETINFO") != CommandSpec.UNKNOWN;
  }

  private PendingCommand list(ClientFilter filter) {
    PendingCommand later = PendingCommand.answered(session, null);
    long now = System.currentTimeMillis();
    directory.gather(
        loop.eventLoop(),
        each -> {
          List<Map.Entry<Long, String>> lines = new ArrayList<>();
          for (ClientSession client : each.sessions().all()) {
            if (filter.matches(client, now)) {
              lines.add(Map.entry(client.id, info(client, now)));
            }
          }
          return lines;
        },
        all -> {
          StringBuilder text = new StringBuilder();
          all.stream()
              .flatMap(List::stream)
              .sorted(Map.Entry.comparingByKey()) // oldest first, as Redis lists them
              .forEach(line -> text.append(line.getValue()));
          session.answerLater(later, Replies.verbatim(alloc, session.protocol, text.toString()));
        });
    return later;
  }

  /**
   * CLIENT UNBLOCK id [TIMEOUT|ERROR]: the proxy's client {@code id} waits in a blocking command on
   * a connection of its own; the primary is asked to unblock that connection, and its answer (1 or
   * 0) is the client's. The blocked client then gets what Redis sends it (a timeout, or UNBLOCKED).
   */
  private PendingCommand unblock(ArgCursor args) throws ClientFilter.Refused {
    boolean error = false;
    if (args.count() == 4) {
      args.reset(args.frame()).seek(3);
      if (args.is("ERROR")) {
        error = true;
      } else if (!args.is("TIMEOUT")) {
        throw new ClientFilter.Refused("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      }
    } else if (args.count() != 3) {
      throw new ClientFilter.Refused(
          "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.");
    }
    long id = args.reset(args.frame()).seek(2).longValue();
    if (id == Long.MIN_VALUE) {
      throw new ClientFilter.Refused("ERR value is not an integer or out of range");
    }
    String mode = error ? "ERROR" : "TIMEOUT";
    PendingCommand later = PendingCommand.answered(session, null);
    directory.gather(
        loop.eventLoop(),
        each -> {
          for (ClientSession client : each.sessions().all()) {
            BackendConnection blocked = client.id == id ? client.replies().blockedOn() : null;
            if (blocked != null && blocked.serverClientId > 0) {
              return blocked.serverClientId;
            }
          }
          return null;
        },
        found -> {
          if (found.isEmpty() || !loop.backend().topology().current().hasPrimary()) {
            session.answerLater(later, Replies.integer(alloc, 0));
            return;
          }
          loop.pools()
              .pool(loop.backend().topology().current().primary(), 0, 2)
              .pick()
              .sendInternal(
                  Replies.command(alloc, "CLIENT", "UNBLOCK", Long.toString(found.get(0)), mode),
                  reply -> session.answerLater(later, reply));
          loop.backend().flushes().flushSoon();
        });
    return later;
  }

  /**
   * Closes every client the filter matches, on its own loop; the asking client, if it matches,
   * after this reply. The old form answers OK or "No such client", the new one the count.
   */
  private PendingCommand kill(ClientFilter filter, boolean oldForm) {
    PendingCommand later = PendingCommand.answered(session, null);
    long now = System.currentTimeMillis();
    ClientSession self = session;
    directory.gather(
        loop.eventLoop(),
        each -> {
          long[] killed = new long[2]; // others closed, self matched
          for (ClientSession client : new ArrayList<>(each.sessions().all())) {
            if (!filter.matches(client, now)) {
              continue;
            }
            if (client == self) {
              killed[1] = 1;
            } else {
              client.channel().close();
              killed[0]++;
            }
          }
          return killed;
        },
        all -> {
          long count = 0;
          boolean selfToo = false;
          for (long[] killed : all) {
            count += killed[0] + killed[1];
            selfToo |= killed[1] == 1;
          }
          later.closeAfter = selfToo;
          ByteBuf reply =
              !oldForm
                  ? Replies.integer(alloc, count)
                  : count > 0 ? Replies.ok() : error("ERR No such client");
          session.answerLater(later, reply);
        });
    return later;
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
