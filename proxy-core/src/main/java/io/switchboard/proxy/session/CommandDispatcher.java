package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.Route;
import io.switchboard.routing.Router;
import java.util.Locale;

/**
 * Sends each of a session's commands where it belongs: checks first (authentication, the proxy's
 * refusals, the user's permissions, the session's subscriber mode or open MULTI), then the
 * command's {@link Route} picks the handler. Handlers are the session's parts: local commands, the
 * transaction, the subscription, blocking commands, scripts, or a plain forward.
 */
final class CommandDispatcher {

  private final ClientSession session;
  private final SessionLoop loop;

  CommandDispatcher(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
  }

  void dispatch(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    dispatchNow(spec, frame, args);
    session.tracking().afterCommand(spec);
  }

  private void dispatchNow(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    String refusal = Router.refusal(spec);
    String notPermitted =
        session.user != null && session.user.restricted ? notPermitted(spec, args) : null;
    if (!session.loggedIn() && !mayRunUnauthenticated(spec)) {
      loop.backend().metrics().error(ProxyMetrics.ErrorKind.AUTH);
      reject(frame, "NOAUTH Authentication required.");
    } else if (refusal != null) {
      loop.stats().record(spec, ProxyMetrics.ServedBy.DENIED, 0);
      reject(frame, refusal);
    } else if (notPermitted != null) {
      loop.backend().metrics().error(ProxyMetrics.ErrorKind.NOPERM);
      reject(frame, notPermitted);
    } else if (session.subscription().active()
        && session.protocol == 2
        && !spec.has(CommandSpec.PUBSUB)) {
      subscriberModeCommand(spec, frame, args);
    } else if (session.transaction().inMulti()) {
      session.transaction().queue(spec, frame, args);
    } else if (session.cluster() == null
        || onWatchLease(spec, frame)
        || !session.cluster().handle(spec, frame, args)) {
      byRoute(Router.route(spec, args), spec, frame, args);
    }
  }

  private void byRoute(Route route, CommandSpec spec, ByteBuf frame, ArgCursor args) {
    switch (route) {
      case LOCAL -> connectionCommand(spec, frame, args);
      case TRANSACTION -> session.transaction().command(spec, frame, args);
      case SUBSCRIPTION -> session.subscription().command(spec, frame, args);
      default -> {
        if (onWatchLease(spec, frame)) {
          session.transaction().whileWatching(spec, frame, BlockingCommands.isWait(spec));
        } else {
          toServers(route, spec, frame, args);
        }
      }
    }
  }

  /** WATCH is active and the command belongs on its lease. */
  private boolean onWatchLease(CommandSpec spec, ByteBuf frame) {
    return session.transaction().watching()
        && session.transaction().servesWhileWatching(spec, frame);
  }

  private void toServers(Route route, CommandSpec spec, ByteBuf frame, ArgCursor args) {
    switch (route) {
      case EXCLUSIVE -> session.blocking().borrowFor(spec, frame);
      case SCRIPT_CACHE -> session.scripts().scriptCache(spec, frame, args);
      case EVERY_NODE -> {
        // Replicas known now; one that joins later keeps its own configuration (README).
        loop.broadcastToReplicas(frame.retainedDuplicate());
        forwardToPrimary(spec, frame);
      }
      default -> {
        if (spec.has(CommandSpec.SCRIPT_BODY)) {
          session.scripts().rememberBody(frame, args);
        }
        if (route == Route.READ && session.cachedReads().answered(spec, frame, args)) {
          loop.stats().record(spec, ProxyMetrics.ServedBy.LOCAL, 0);
          return;
        }
        PendingCommand command = loop.recycler().command(session, spec, frame, session.readAtNanos);
        command.route = route == Route.READ ? PendingCommand.TO_READ : PendingCommand.TO_PRIMARY;
        session.cachedReads().attachFill(command);
        if (session.cluster() != null) {
          command.slot = session.cluster().takeKeyedSlot();
        }
        session.tracking().mark(command);
        session.replies().forward(command);
      }
    }
  }

  /**
   * The user's refusal of a command Redis would run ({@link ClientUser#refusal}); a wrong argument
   * count goes on to get Redis's own arity error, as Redis checks arity before permissions.
   */
  private String notPermitted(CommandSpec spec, ArgCursor args) {
    return spec == CommandSpec.UNKNOWN || !spec.arityAccepts(args.count())
        ? null
        : session.user.refusal(spec);
  }

  private static boolean mayRunUnauthenticated(CommandSpec spec) {
    String name = spec.name();
    return name.equals("AUTH")
        || name.equals("HELLO")
        || name.equals("QUIT")
        || name.equals("RESET");
  }

  /** Answers an error; inside MULTI it also dooms the transaction, as Redis does. */
  void reject(ByteBuf frame, String error) {
    frame.release();
    session.transaction().refusedInMulti();
    session
        .replies()
        .enqueue(PendingCommand.answered(session, Replies.error(loop.backend().alloc(), error)));
  }

  /** RESP2 subscriber mode allows only the subscribe family, PING, QUIT and RESET (as Redis). */
  private void subscriberModeCommand(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    String name = spec.name();
    if (name.equals("PING")) {
      ByteBuf pong = session.subscription().pingReply(args);
      frame.release();
      session.replies().enqueue(PendingCommand.answered(session, pong));
    } else if (name.equals("QUIT") || name.equals("RESET")) {
      connectionCommand(spec, frame, args);
    } else {
      String shown =
          spec == CommandSpec.UNKNOWN
              ? new ArgCursor().reset(frame).string().toLowerCase(Locale.ROOT)
              : Router.display(spec).replace(' ', '|');
      reject(
          frame,
          "ERR Can't execute '"
              + shown
              + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in"
              + " this context");
    }
  }

  /** A command the proxy answers from the session's state ({@link LocalCommands}). */
  void connectionCommand(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    Transaction transaction = session.transaction();
    if (transaction.hasLease() && spec.name().equals("RESET")) {
      session.local().answer(spec, args).reply.release();
      transaction.reset(spec, frame);
      return;
    }
    if (transaction.watching() && spec.name().equals("SELECT") && spec.arityAccepts(args.count())) {
      int index = session.local().databaseIndex(args.seek(1));
      if (index < 0) {
        reject(frame, session.local().databaseError(args));
      } else {
        transaction.selectWhileWatching(spec, frame, index);
      }
      return;
    }
    if ((transaction.watching() || session.subscription().active())
        && spec.name().equals("HELLO")
        && args.count() > 1) {
      // The leased or subscription connection speaks the protocol it was opened with.
      reject(
          frame, "ERR Switchboard cannot change protocol while WATCH or a subscription is active");
      return;
    }
    PendingCommand answer;
    try {
      answer = session.local().answer(spec, args);
    } finally {
      frame.release();
    }
    session.replies().enqueue(answer);
    loop.stats()
        .record(
            spec, ProxyMetrics.ServedBy.LOCAL, loop.backend().clock().now() - session.readAtNanos);
  }

  void forwardToPrimary(CommandSpec spec, ByteBuf frame) {
    PendingCommand command = loop.recycler().command(session, spec, frame, session.readAtNanos);
    command.route = PendingCommand.TO_PRIMARY;
    session.replies().forward(command);
  }

  /** A command for one connection the session holds (its transaction lease, a subscription). */
  PendingCommand pinned(CommandSpec spec, ByteBuf frame, BackendConnection to) {
    PendingCommand command = new PendingCommand(session, spec, frame, session.readAtNanos);
    command.route = PendingCommand.TO_PINNED;
    command.rare().pinned = to;
    return command;
  }

  /** Sends a command over a connection the session holds: a subscribe-family command, say. */
  PendingCommand forwardPinned(CommandSpec spec, ByteBuf frame, BackendConnection to) {
    PendingCommand command = pinned(spec, frame, to);
    session.replies().forward(command);
    return command;
  }
}
