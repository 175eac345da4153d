package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.proxy.auth.ClientAuth;
import io.switchboard.proxy.auth.ClientUser;
import io.switchboard.proxy.backend.BackendLogin;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.ClusterPolicy;
import io.switchboard.routing.CommandSpec;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands the proxy answers from the session's own state, because forwarding them would change a
 * backend connection that other clients share: PING, ECHO, QUIT, SELECT, HELLO, AUTH, CLIENT (ID,
 * SETNAME, GETNAME, INFO, SETINFO), RESET, ACL WHOAMI (the proxy's user, not the backend's). Error
 * texts follow Redis's own.
 */
final class LocalCommands {

  private static final Logger log = LoggerFactory.getLogger(LocalCommands.class);
  private static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";

  private final ClientSession session;
  private final SessionLoop loop;
  private final ClientAuth auth;
  private final ClientCommands clients;

  LocalCommands(
      ClientSession session, SessionLoop loop, ClientAuth auth, ClientDirectory directory) {
    this.session = session;
    this.loop = loop;
    this.auth = auth;
    this.clients = new ClientCommands(session, loop, auth, directory);
  }

  PendingCommand answer(CommandSpec spec, ArgCursor args) {
    String refused = queueTimeError(spec, args);
    if (refused != null) {
      return reply(error(refused));
    }
    if (spec.name().startsWith("CLIENT|")) {
      return clients.answer(spec, args);
    }
    return switch (spec.name()) {
      case "PING" -> reply(args.count() == 1 ? Replies.pong() : bulkArg(args.seek(1)));
      case "ECHO" -> reply(bulkArg(args.seek(1)));
      case "QUIT" -> {
        PendingCommand quit = reply(Replies.ok());
        quit.closeAfter = true;
        yield quit;
      }
      case "SELECT" -> reply(select(args.seek(1)));
      case "HELLO" -> hello(args);
      case "AUTH" -> auth.redisChecks() ? authAtRedis(args) : reply(auth(args));
      case "ACL|WHOAMI" -> reply(Replies.bulk(alloc(), session.userName()));
      case "SLOWLOG|GET", "SLOWLOG|LEN", "SLOWLOG|RESET" ->
          reply(SlowLogCommands.answer(spec.name(), args, loop.insight().slowLog(), alloc()));
      case "RESET" -> {
        session.resetServerState();
        session.user = auth.initialUser();
        session.authenticated = false;
        session.login = auth.redisChecks() ? BackendLogin.UNAUTHENTICATED : null;
        session.db = 0;
        session.protocol = 2;
        session.name = null;
        yield reply(Replies.simple(alloc(), "RESET"));
      }
      default -> reply(error("ERR unknown command '" + spec.name().toLowerCase(Locale.ROOT) + "'"));
    };
  }

  /** Whether AUTH is answered by the primary, later (auth.mode = redis), not here at once. */
  boolean authAtServer() {
    return auth.redisChecks();
  }

  /**
   * What Redis answers before running the command at all, which inside MULTI dooms the transaction:
   * a wrong argument count, or a subcommand its container does not have. Else null.
   */
  String queueTimeError(CommandSpec spec, ArgCursor args) {
    if (spec.subcommands() != null) {
      // A container whose subcommand the table does not know (or none was given).
      return args.count() == 1 ? wrongArity(spec.name()) : unknownSubcommand(args);
    }
    if (!spec.arityAccepts(args.count()) || (spec.name().equals("PING") && args.count() > 2)) {
      return wrongArity(spec.name());
    }
    return null;
  }

  private ByteBuf select(ArgCursor index) {
    int db = databaseIndex(index);
    if (db < 0) {
      return error(databaseError(index));
    }
    session.db = db;
    return Replies.ok();
  }

  /** The database SELECT names, or -1 when Redis would refuse it. */
  int databaseIndex(ArgCursor index) {
    long db = index.longValue();
    if (loop.clusterMode()) {
      return db == 0 ? 0 : -1; // a cluster has database 0 only
    }
    return db < 0 || db >= loop.backend().config().redis().databases() ? -1 : (int) db;
  }

  /** Redis's error for a SELECT argument {@link #databaseIndex} refused. */
  String databaseError(ArgCursor index) {
    if (index.longValue() == Long.MIN_VALUE) {
      return "ERR value is not an integer or out of range";
    }
    return loop.clusterMode() ? ClusterPolicy.SELECT : "ERR DB index is out of range";
  }

  /** HELLO's arguments as Redis reads them, or the error it answers instead. */
  private record Hello(int protocol, String name, String user, byte[] password, ByteBuf error) {
    static Hello refused(ByteBuf error) {
      return new Hello(0, null, null, null, error);
    }
  }

  private Hello parseHello(ArgCursor args) {
    int protocol = session.protocol;
    String newName = session.name;
    String user = null;
    byte[] password = null;
    if (args.count() > 1) {
      long requested = args.seek(1).longValue();
      if (requested == Long.MIN_VALUE) {
        return Hello.refused(error("ERR Protocol version is not an integer or out of range"));
      }
      if (requested != 2 && requested != 3) {
        return Hello.refused(error("NOPROTO unsupported protocol version"));
      }
      protocol = (int) requested;
      for (int i = 2; i < args.count(); i++) {
        args.seek(i);
        int left = args.count() - i - 1;
        if (args.is("AUTH") && left >= 2) {
          user = args.seek(i + 1).string();
          password = args.seek(i + 2).bytes();
          i += 2;
        } else if (args.is("SETNAME") && left >= 1) {
          String candidate = args.seek(i + 1).string();
          if (!ClientCommands.validName(candidate)) {
            return Hello.refused(error(ClientCommands.BAD_NAME));
          }
          newName = candidate;
          i += 1;
        } else {
          return Hello.refused(error("ERR Syntax error in HELLO option '" + args.string() + "'"));
        }
      }
    }
    return new Hello(protocol, newName, user, password, null);
  }

  private PendingCommand hello(ArgCursor args) {
    Hello hello = parseHello(args);
    if (hello.error() != null) {
      return reply(hello.error());
    }
    if (hello.user() != null && auth.redisChecks()) {
      return checkAtRedis(hello.user(), hello.password(), () -> helloReply(hello));
    }
    if (hello.user() != null) {
      ByteBuf refused = checkCredentials(hello.user(), hello.password());
      if (refused != null) {
        return reply(refused);
      }
    }
    return reply(helloReply(hello));
  }

  private ByteBuf helloReply(Hello hello) {
    if (!session.loggedIn()) {
      // Redis 7.2 named the protocol argument in this text; the server's version decides.
      String form = olderThan72(loop.backend().facts().version()) ? "HELLO" : "HELLO <proto>";
      return error(
          "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
              + form
              + " AUTH <user> <pass> option can be used to authenticate the client and"
              + " select the RESP protocol version at the same time");
    }
    int protocol = hello.protocol();
    session.protocol = protocol;
    session.name = hello.name();
    ByteBuf buf = alloc().buffer(160);
    Replies.writeMapHeader(buf, protocol, 7);
    Replies.writeBulk(buf, "server");
    Replies.writeBulk(buf, "redis");
    Replies.writeBulk(buf, "version");
    Replies.writeBulk(buf, loop.backend().facts().version());
    Replies.writeBulk(buf, "proto");
    Replies.writeHeader(buf, ':', protocol);
    Replies.writeBulk(buf, "id");
    Replies.writeHeader(buf, ':', session.id);
    Replies.writeBulk(buf, "mode");
    Replies.writeBulk(buf, "standalone");
    Replies.writeBulk(buf, "role");
    Replies.writeBulk(buf, "master");
    Replies.writeBulk(buf, "modules");
    Replies.writeHeader(buf, '*', 0);
    return buf;
  }

  private static boolean olderThan72(String version) {
    String[] parts = version.split("\\.");
    try {
      int major = Integer.parseInt(parts[0]);
      int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return major < 7 || (major == 7 && minor < 2);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * auth.mode = redis: the primary's own AUTH decides ({@link AuthChecks}); its reply is the
   * answer, Redis's WRONGPASS text included. On success the session's commands run as that user
   * from then on; commands sent meanwhile wait for the answer. Failures count against the address
   * as in proxy mode. {@code user} is null for the one-argument form, sent as such.
   */
  private PendingCommand checkAtRedis(
      String user, byte[] password, java.util.function.Supplier<ByteBuf> onSuccess) {
    java.net.SocketAddress from = session.channel().remoteAddress();
    ByteBuf blocked = refusedUnchecked(from);
    if (blocked != null) {
      return reply(blocked);
    }
    PendingCommand later = PendingCommand.answered(session, null);
    session.authPending = true;
    loop.authChecks()
        .check(
            user,
            password,
            answer -> {
              session.authPending = false;
              ByteBuf result;
              if (answer.getByte(answer.readerIndex()) == '+') {
                answer.release();
                String name = user == null ? "default" : user;
                session.login =
                    new BackendLogin(name, new String(password, StandardCharsets.ISO_8859_1));
                session.user = ClientUser.unrestricted(name); // Redis enforces its rules
                result = onSuccess.get();
              } else {
                if (answer.toString(StandardCharsets.UTF_8).startsWith("-WRONGPASS")) {
                  countFailure(from);
                }
                result = answer; // Redis's own words
              }
              session.answerLater(later, result);
              session.resumeHeld();
            });
    return later;
  }

  /** The refusal of an address that failed too often lately, or null (auth.failure-window). */
  private ByteBuf refusedUnchecked(java.net.SocketAddress from) {
    if (!auth.blocked(from)) {
      return null;
    }
    loop.backend().metrics().authFailure(ProxyMetrics.AuthFailure.RATE_LIMITED);
    return error(
        "WRONGPASS too many failed authentication attempts from this address; try again later");
  }

  private void countFailure(java.net.SocketAddress from) {
    loop.backend().metrics().authFailure(ProxyMetrics.AuthFailure.WRONG_PASSWORD);
    if (auth.failed(from)) {
      log.warn(
          "Refusing AUTH from {} for up to {}: too many failed attempts",
          ClientInfo.address(from),
          loop.backend().config().auth().failureWindow());
    }
  }

  private PendingCommand authAtRedis(ArgCursor args) {
    if (args.count() > 3) {
      return reply(error("ERR syntax error"));
    }
    return args.count() == 2
        ? checkAtRedis(null, args.seek(1).bytes(), Replies::ok)
        : checkAtRedis(args.seek(1).string(), args.seek(2).bytes(), Replies::ok);
  }

  private ByteBuf auth(ArgCursor args) {
    if (args.count() > 3) {
      return error("ERR syntax error");
    }
    if (args.count() == 2) {
      if (!auth.defaultHasPassword() && auth.initialUser() != null) {
        // Redis's answer for a server without requirepass.
        return error(
            "ERR AUTH <password> called without any password configured for the default user. "
                + "Are you sure your configuration is correct?");
      }
      ByteBuf refused = checkCredentials("default", args.seek(1).bytes());
      return refused != null ? refused : Replies.ok();
    }
    ByteBuf refused = checkCredentials(args.seek(1).string(), args.seek(2).bytes());
    return refused != null ? refused : Replies.ok();
  }

  /**
   * Checks a user's password ({@link ClientAuth}); success makes the session run as that user. An
   * address that failed {@code auth.max-failures-per-address} times lately is refused unchecked.
   */
  private ByteBuf checkCredentials(String user, byte[] password) {
    java.net.SocketAddress from = session.channel().remoteAddress();
    ByteBuf blocked = refusedUnchecked(from);
    if (blocked != null) {
      return blocked;
    }
    ClientUser found = auth.check(user, password);
    if (found == null) {
      countFailure(from);
      return error(WRONGPASS);
    }
    session.user = found;
    session.authenticated = true;
    return null;
  }

  /** Redis's reply to a subcommand its container does not have: quoted as sent, at most 128. */
  private static String unknownSubcommand(ArgCursor args) {
    String container = args.reset(args.frame()).string().toUpperCase(Locale.ROOT);
    String sub = args.seek(1).string();
    sub = sub.length() > 128 ? sub.substring(0, 128) : sub;
    return "ERR unknown subcommand '"
        + sub.replace('\r', ' ').replace('\n', ' ')
        + "'. Try "
        + container
        + " HELP.";
  }

  private static String wrongArity(String name) {
    return "ERR wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command";
  }

  private ByteBuf bulkArg(ArgCursor arg) {
    return Replies.bulk(alloc(), arg.frame(), arg.offset(), arg.length());
  }

  private PendingCommand reply(ByteBuf reply) {
    return PendingCommand.answered(session, reply);
  }

  private ByteBuf error(String text) {
    return Replies.error(alloc(), text);
  }

  private ByteBufAllocator alloc() {
    return loop.backend().alloc();
  }
}
