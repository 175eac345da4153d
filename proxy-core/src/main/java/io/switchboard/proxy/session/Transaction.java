package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.ClusterPolicy;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeySlots;
import io.switchboard.routing.Router;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's transaction: a primary connection leased from MULTI or WATCH until EXEC, DISCARD or
 * UNWATCH is answered, what is queued on it, and how it survives the loss of that connection.
 *
 * <p>In cluster mode the lease is on the shard of the transaction's slot: its WATCH's keys, or its
 * first keyed command's (a MULTI starts on the first shard and moves there); a command in another
 * slot is refused with CROSSSLOT and dooms the transaction, as in Redis Cluster.
 *
 * <p>Inside MULTI every command queues on the lease, except what Redis runs at once. When the lease
 * is lost before EXEC ran (its primary died or left the topology), the transaction moves to a new
 * lease on the current primary: the MULTI and queued commands the client already has replies for
 * are sent there again (Redis queues them without running anything), then the lost commands
 * themselves. A WATCH cannot move: that transaction's EXEC becomes a DISCARD answered with nil, as
 * for a conflict. An EXEC lost in flight may have run, so its error goes to the client.
 */
public final class Transaction {

  private static final Logger log = LoggerFactory.getLogger(Transaction.class);
  private static final byte[] NIL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NIL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ClientSession session;
  private final SessionLoop loop;
  private final LocalCommands local;
  private final TransactionLog replayLog = new TransactionLog();
  private final LocalStepsInMulti localSteps = new LocalStepsInMulti();
  private BackendConnection lease;
  private int leaseUses;
  private boolean inMulti;
  private int queued;
  private boolean watching;
  private boolean multiBroken;
  private int dbAfterExec = -1;

  /**
   * Cluster mode: the slot of the transaction's keys, fixed by its WATCH or its first keyed
   * command; {@link KeySlots#KEYLESS} until then. Every keyed command of the transaction must be in
   * it, as in Redis Cluster.
   */
  private int slot = KeySlots.KEYLESS;

  /**
   * Cluster mode: the lease a MULTI started on before its first key named another shard; given back
   * once its commands are answered. Null when none.
   */
  private BackendConnection retiring;

  private int retiringUses;

  /** Counts lease replacements; a WATCH made under an earlier count has been lost. */
  private int leaseEpoch;

  private int watchEpoch;

  Transaction(ClientSession session, SessionLoop loop, LocalCommands local) {
    this.session = session;
    this.loop = loop;
    this.local = local;
  }

  boolean inMulti() {
    return inMulti;
  }

  boolean watching() {
    return watching;
  }

  boolean hasLease() {
    return lease != null;
  }

  /** A command the proxy refused while queueing: Redis would doom the transaction. */
  void refusedInMulti() {
    if (inMulti) {
      multiBroken = true;
    }
  }

  /** MULTI, WATCH, UNWATCH, or EXEC/DISCARD outside MULTI. */
  void command(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    switch (spec.name()) {
      case "MULTI", "WATCH" -> {
        if (!spec.arityAccepts(args.count())) {
          session.dispatcher().forwardToPrimary(spec, frame); // Redis answers the arity error
          return;
        }
        if (spec.name().equals("WATCH") && !inSlot(spec, frame)) {
          return;
        }
        if (lease == null && !acquireLease(frame)) {
          return;
        }
        if (spec.name().equals("MULTI")) {
          inMulti = true;
          queued = 0;
          localSteps.clear();
          multiBroken = false;
          dbAfterExec = -1;
        } else {
          if (!watching) {
            watchEpoch = leaseEpoch;
          }
          watching = true;
        }
        forwardOnLease(spec, frame);
      }
      case "UNWATCH" -> {
        if (lease == null) {
          frame.release();
          session.replies().enqueue(PendingCommand.answered(session, Replies.ok()));
        } else {
          watching = false;
          slot = KeySlots.KEYLESS;
          forwardOnLease(spec, frame);
        }
      }
      case "EXEC", "DISCARD" ->
          session.dispatcher().reject(frame, "ERR " + spec.name() + " without MULTI");
      default -> session.dispatcher().forwardToPrimary(spec, frame);
    }
  }

  /**
   * Cluster mode: whether a command's keys may join the transaction (they are in its slot, which
   * the first keyed command fixes). Else it is answered CROSSSLOT, which in MULTI also dooms the
   * transaction, and false returned.
   */
  private boolean inSlot(CommandSpec spec, ByteBuf frame) {
    if (!loop.clusterMode()) {
      return true;
    }
    int commandSlot = session.targets().slotOf(spec, frame);
    if (commandSlot == KeySlots.KEYLESS || commandSlot == slot) {
      return true;
    }
    if (commandSlot == KeySlots.CROSS_SLOT || slot != KeySlots.KEYLESS) {
      session.dispatcher().reject(frame, ClusterPolicy.CROSSSLOT);
      return false;
    }
    slot = commandSlot;
    if (lease != null && !lease.pool().node().equals(leaseShard().primary())) {
      return moveToSlotsShard(spec, frame);
    }
    return true;
  }

  /**
   * A MULTI leased before its first key named a shard (on the first one) moves to the shard of that
   * key: a new lease there gets the MULTI and the commands queued so far again, as the proxy's own;
   * the old one answers the client for them and is then given back, its transaction never run (the
   * lease is closed, not reused).
   */
  private boolean moveToSlotsShard(CommandSpec spec, ByteBuf frame) {
    Shard shard = leaseShard();
    BackendConnection fresh =
        shard.hasPrimary()
            ? loop.leases()
                .acquire(
                    shard.primary(),
                    lease.pool().db(),
                    lease.pool().protocol(),
                    lease.pool().login())
            : null;
    if (fresh == null || retiring != null || !replayLog.replayOpenMulti(fresh)) {
      if (fresh != null) {
        loop.leases().release(fresh);
      }
      session
          .dispatcher()
          .reject(
              frame,
              "ERR Switchboard cannot move this transaction to the shard of its keys"
                  + (shard.hasPrimary() ? "" : ": " + session.targets().noPrimaryText()));
      return false;
    }
    lease.tainted = true;
    retiring = lease;
    retiringUses = leaseUses;
    leaseUses = 0;
    lease = fresh;
    if (retiringUses == 0) {
      releaseRetiring();
    }
    return true;
  }

  private void releaseRetiring() {
    loop.leases().release(retiring);
    retiring = null;
  }

  /** The shard the transaction's lease belongs on: its slot's, or the first (keyless so far). */
  private Shard leaseShard() {
    Topology topology = loop.backend().topology().current();
    Shard shard = slot >= 0 ? topology.shardFor(slot) : null;
    return shard == null ? topology.only() : shard;
  }

  private boolean acquireLease(ByteBuf frame) {
    Shard shard = leaseShard();
    if (!shard.hasPrimary()) {
      session.dispatcher().reject(frame, session.targets().noPrimaryText());
      return false;
    }
    lease = loop.leases().acquire(shard.primary(), session.db, session.protocol, session.login);
    if (lease == null) {
      session.dispatcher().reject(frame, session.blocking().exclusiveLimitText());
      return false;
    }
    return true;
  }

  /** Inside MULTI everything queues on the lease, except what Redis runs at once. */
  void queue(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    String name = spec.name();
    switch (name) {
      case "QUIT", "RESET" -> session.dispatcher().connectionCommand(spec, frame, args);
      case "EXEC" -> {
        PendingCommand exec = pinned(spec, frame);
        if (watching) {
          exec.rare().watchEpoch = watchEpoch;
          if (watchEpoch != leaseEpoch) {
            turnIntoDiscard(exec); // the WATCH died with the lease it was on
          }
        }
        inMulti = false;
        watching = false;
        slot = KeySlots.KEYLESS;
        if (multiBroken) {
          // Redis would have flagged the transaction at the refused command; the proxy answered
          // that command itself, so the server must be told to drop the transaction instead: its
          // EXEC would run the commands queued before and after the refused one.
          exec.request.release();
          exec.request = Replies.command(loop.backend().alloc(), "DISCARD");
          exec.rare().answerInstead = "EXECABORT Transaction discarded because of previous errors.";
        }
        multiBroken = false;
        exec.rare().attachment = localSteps.takeAll();
        forwardOnLease(exec);
      }
      case "DISCARD" -> {
        inMulti = false;
        watching = false;
        slot = KeySlots.KEYLESS;
        multiBroken = false;
        localSteps.clear();
        dbAfterExec = -1;
        forwardOnLease(spec, frame);
      }
      case "SELECT" -> {
        int index = spec.arityAccepts(args.count()) ? local.databaseIndex(args.seek(1)) : -1;
        if (index < 0) {
          session.dispatcher().reject(frame, local.databaseError(args));
        } else {
          dbAfterExec = index;
          lease.tainted = true;
          queued++;
          forwardOnLease(spec, frame);
        }
      }
      default -> {
        switch (LocalStepsInMulti.placement(spec, local.authAtServer())) {
          case AT_EXEC -> queueLocal(spec, frame, args);
          case REFUSED -> session.dispatcher().reject(frame, notInMulti(spec));
          case SERVER -> {
            if (inSlot(spec, frame)) {
              queued++;
              forwardOnLease(spec, frame);
            }
          }
        }
      }
    }
  }

  /**
   * A command the proxy answers, queued to run at EXEC in its place ({@link LocalStepsInMulti}).
   */
  private void queueLocal(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    String refused = local.queueTimeError(spec, args);
    if (refused != null) {
      session.dispatcher().reject(frame, refused);
      return;
    }
    localSteps.add(queued++, spec, frame);
    frame.release();
    session
        .replies()
        .enqueue(
            PendingCommand.answered(session, Replies.simple(loop.backend().alloc(), "QUEUED")));
  }

  /** Commands queued since MULTI, as CLIENT LIST's {@code multi=} shows; -1 outside MULTI. */
  int queuedCount() {
    return inMulti ? queued : -1;
  }

  private static String notInMulti(CommandSpec spec) {
    return "ERR '" + Router.display(spec) + "' inside MULTI is not supported by Switchboard";
  }

  /**
   * While WATCH is active, whether a command goes to the lease: every command does, so reads are
   * never stale, except in cluster mode one whose keys are on another shard (or span slots), which
   * routes as usual.
   */
  boolean servesWhileWatching(CommandSpec spec, ByteBuf frame) {
    if (!loop.clusterMode() || lease == null) {
      return true;
    }
    int commandSlot = session.targets().slotOf(spec, frame);
    if (commandSlot == KeySlots.KEYLESS) {
      return true;
    }
    Shard shard =
        commandSlot >= 0 ? loop.backend().topology().current().shardFor(commandSlot) : null;
    return shard != null && lease.pool().node().equals(shard.primary());
  }

  /** While WATCH is active every command goes to the lease, so reads are never stale. */
  void whileWatching(CommandSpec spec, ByteBuf frame, boolean markOffsetFirst) {
    PendingCommand command = pinned(spec, frame);
    command.rare().markOffsetFirst = markOffsetFirst;
    forwardOnLease(command);
  }

  /** SELECT while watching: WATCH is per database, so the leased connection must change too. */
  void selectWhileWatching(CommandSpec spec, ByteBuf frame, int index) {
    lease.tainted = true;
    session.db = index;
    forwardOnLease(spec, frame);
  }

  /** RESET with a lease: the server drops the transaction in order; the lease is not reused. */
  void reset(CommandSpec spec, ByteBuf frame) {
    lease.tainted = true;
    inMulti = false;
    watching = false;
    slot = KeySlots.KEYLESS;
    multiBroken = false;
    dbAfterExec = -1;
    localSteps.clear();
    forwardOnLease(spec, frame);
  }

  private PendingCommand pinned(CommandSpec spec, ByteBuf frame) {
    return session.dispatcher().pinned(spec, frame, lease);
  }

  private void forwardOnLease(CommandSpec spec, ByteBuf frame) {
    forwardOnLease(pinned(spec, frame));
  }

  /** Counts the command as a use of the lease and keeps a copy for replay, then forwards it. */
  private void forwardOnLease(PendingCommand command) {
    leaseUses++;
    command.rare().leaseCounted = true;
    String name = command.spec.name();
    replayLog.record(command, inMulti || name.equals("EXEC") || name.equals("DISCARD"));
    session.replies().forward(command);
  }

  /** EXEC of a transaction whose WATCH was lost: DISCARD it, and answer as a conflict would. */
  private void turnIntoDiscard(PendingCommand exec) {
    if (exec.request != null) {
      exec.request.release();
    }
    exec.request = Replies.command(loop.backend().alloc(), "DISCARD");
    exec.rare().answerNil = true;
  }

  /**
   * A command of this transaction came back lost (see the class comment): true when it was sent
   * again on a new lease and stays outstanding, false when its error goes to the client.
   */
  boolean recover(PendingCommand command) {
    if (command.lost == 0 && movedAtExec(command)) {
      return true;
    }
    if (command.lost == 0 || !command.leaseCounted() || !replayLog.holds(command)) {
      return false;
    }
    boolean exec = command.spec.name().equals("EXEC");
    if (exec && command.lost == PendingCommand.LOST_IN_FLIGHT && !command.answerNil()) {
      return false;
    }
    if (!command.multiPart() && command.lost == PendingCommand.LOST_IN_FLIGHT) {
      return false; // outside MULTI it ran, or may have
    }
    if (command.pinned() == lease && !moveLease(command)) {
      return false;
    }
    command.lost = 0;
    sendAgainOnLease(command, exec);
    return true;
  }

  /**
   * Sends a command of the transaction again on the (new) lease, its reply dropped: from the replay
   * log, or for an EXEC whose WATCH the move broke, as a DISCARD that answers nil.
   */
  private void sendAgainOnLease(PendingCommand command, boolean exec) {
    command.reply.release();
    command.reply = null;
    if (exec && command.watchEpoch() >= 0 && command.watchEpoch() != leaseEpoch) {
      turnIntoDiscard(command);
    } else {
      command.request = replayLog.copyOf(command);
    }
    session.replies().sendAgain(command, lease);
  }

  /**
   * Cluster mode: EXEC answered MOVED, because the transaction's slot moved to another node while
   * it was queued there (Redis checks a transaction's keys at EXEC). Nothing ran: the transaction
   * is built again on the node MOVED names (MULTI and the queued commands replayed) and its EXEC
   * sent there, so the client never sees MOVED. A WATCH does not survive the move: that EXEC
   * answers nil, as a conflict would.
   */
  private boolean movedAtExec(PendingCommand exec) {
    if (!loop.clusterMode()
        || exec.reply == null
        || !exec.leaseCounted()
        || !exec.spec.name().equals("EXEC")
        || !replayLog.holds(exec)
        || exec.pinned() != lease
        || exec.rare().redirects++ >= ClusterRedirects.MAX_REDIRECTS) {
      return false;
    }
    HostAndPort to = ClusterRedirects.movedTo(exec.reply);
    if (to == null) {
      return false;
    }
    loop.backend().gate().askAgain(); // the slot map changed: discovery looks again now
    if (!moveLease(exec, to)) {
      return false;
    }
    sendAgainOnLease(exec, true);
    return true;
  }

  private boolean moveLease(PendingCommand firstLost) {
    Shard shard = leaseShard();
    return shard.hasPrimary() && moveLease(firstLost, shard.primary());
  }

  private boolean moveLease(PendingCommand firstLost, HostAndPort to) {
    BackendConnection old = lease;
    BackendConnection fresh =
        loop.leases().acquire(to, old.pool().db(), old.pool().protocol(), old.pool().login());
    if (fresh == null) {
      return false;
    }
    fresh.tainted = old.tainted;
    loop.leases().release(old);
    lease = fresh;
    leaseEpoch++;
    session
        .replies()
        .forEachParked(
            waiting -> {
              if (waiting.pinned() == old) {
                waiting.rare().pinned = fresh;
                if (waiting.watchEpoch() >= 0 && waiting.watchEpoch() != leaseEpoch) {
                  turnIntoDiscard(waiting);
                }
              }
            });
    replayLog.replayAnsweredBefore(firstLost, fresh);
    log.info(
        "Client {} (id {}): transaction moved from {} to {}",
        session.channel().remoteAddress(),
        session.id,
        old.pool().node(),
        fresh.pool().node());
    return true;
  }

  /**
   * A command of the lease is answered: settles what the reply decides (the answer the proxy
   * substitutes, the database after EXEC) and gives the lease back once the transaction is over.
   */
  void answered(PendingCommand command) {
    if (!command.leaseCounted()) {
      return;
    }
    command.rare().leaseCounted = false;
    countAnswered(command);
    if (command.answerInstead() != null) {
      command.reply.release();
      command.reply = Replies.error(loop.backend().alloc(), command.answerInstead());
    } else if (command.answerNil()) {
      command.reply.release();
      command.reply = Unpooled.wrappedBuffer(session.protocol == 3 ? NIL3 : NIL_ARRAY);
    }
    if (command.attachment() instanceof List<?> steps) {
      command.reply =
          LocalStepsInMulti.splice(
              command.reply, LocalStepsInMulti.steps(steps), local, loop.backend().alloc());
      command.rare().attachment = null;
    }
    if (dbAfterExec >= 0 && command.spec.name().equals("EXEC")) {
      byte type = command.reply.getByte(command.reply.readerIndex());
      boolean ran = type == '*' && command.reply.getByte(command.reply.readerIndex() + 1) != '-';
      if (ran && command.answerInstead() == null) {
        session.db = dbAfterExec; // the SELECT queued in the transaction ran
      }
      dbAfterExec = -1;
    }
    replayLog.answered(command);
    releaseIfOver();
  }

  /** A lease command the session discards unanswered (it is closing): stop counting it. */
  void forget(PendingCommand command) {
    if (command.leaseCounted()) {
      command.rare().leaseCounted = false;
      countAnswered(command);
    }
  }

  /** One use less of the lease the command went on: the current one, or the one retiring. */
  private void countAnswered(PendingCommand command) {
    if (retiring != null && command.pinned() == retiring) {
      if (--retiringUses == 0) {
        releaseRetiring();
      }
    } else {
      leaseUses--;
    }
  }

  private void releaseIfOver() {
    if (lease != null && !inMulti && !watching && leaseUses == 0 && retiring == null) {
      loop.leases().release(lease);
      lease = null;
      replayLog.clear();
    }
  }

  /** The client is gone: a half-built transaction or WATCH dies with it. */
  void close() {
    if (retiring != null) {
      retiring.close();
      releaseRetiring();
    }
    if (lease != null) {
      lease.close();
      loop.leases().release(lease);
      lease = null;
    }
    replayLog.clear();
  }
}
