package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.insight.BigKeys;
import io.switchboard.proxy.insight.HotKeys;
import io.switchboard.proxy.insight.SlowLog;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.routing.CommandSpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Shows one event loop's commands to the operator's tools as they pass: a sampled key to the hot
 * keys, a slow one to the slow log, a big request or reply to the big keys. On the hot path each
 * costs a comparison or a counter; the work is done only for what is sampled, slow or big. Used on
 * its loop only.
 */
final class CommandInsight {

  private final SlowLog slowLog;
  private final BigKeys bigKeys;
  private final ProxyMetrics metrics;
  private final HotKeys hotKeys = new HotKeys();
  private final ArgCursor scratch = new ArgCursor();
  private boolean hotKeysOn;

  CommandInsight(SlowLog slowLog, BigKeys bigKeys, ProxyMetrics metrics, SwitchboardConfig config) {
    this.slowLog = slowLog;
    this.bigKeys = bigKeys;
    this.metrics = metrics;
    configure(config);
  }

  /** At start and at each reload, on the loop. */
  void configure(SwitchboardConfig config) {
    hotKeysOn = config.hotkeys().enabled();
  }

  HotKeys hotKeys() {
    return hotKeys;
  }

  SlowLog slowLog() {
    return slowLog;
  }

  BigKeys bigKeys() {
    return bigKeys;
  }

  /**
   * Whether a forwarded command's request is kept until its reply (most are anyway, to be sent
   * again): the slow log lists its arguments, the big keys its key.
   */
  boolean keepsRequests() {
    return slowLog.on() || bigKeys.on();
  }

  /** A request just classified. */
  void request(CommandSpec spec, ByteBuf frame) {
    int firstKey = spec.firstKey();
    if (hotKeysOn && firstKey > 0 && hotKeys.due()) {
      scratch.reset(frame).seek(firstKey);
      hotKeys.count(frame, scratch.offset(), scratch.length());
    }
    if (bigKeys.big(frame.readableBytes())) {
      bigKeys.add(
          new BigKeys.Entry(
              Instant.now(), false, spec.name(), key(spec, frame), frame.readableBytes(), ""));
      metrics.bigKey(false);
    }
  }

  /**
   * A forwarded command's reply, before its kept request is released; {@code now} is when it came
   * back.
   */
  void replied(ClientSession session, PendingCommand command, long now) {
    CommandSpec spec = command.spec;
    if (spec == null || command.sentTo == null) {
      return;
    }
    long nanos = now - command.startedAtNanos;
    if (slowLog.slow(nanos) && !spec.has(CommandSpec.SKIP_SLOWLOG)) {
      slowLog.add(
          command.retryFrame(),
          spec.name().toLowerCase(java.util.Locale.ROOT),
          nanos,
          ClientInfo.address(session.channel().remoteAddress()),
          session.name == null ? "" : session.name,
          command.sentTo.pool().node().toString(),
          Math.min(nanos, now - command.writtenAtNanos()));
    }
    if (command.reply != null && bigKeys.big(command.reply.readableBytes())) {
      bigKeys.add(
          new BigKeys.Entry(
              Instant.now(),
              true,
              spec.name(),
              !command.hasRetryCopy() ? "" : key(spec, command.retryFrame()),
              command.reply.readableBytes(),
              command.sentTo.pool().node().toString()));
      metrics.bigKey(true);
    }
  }

  /** The command's first key, for a record; "" for a keyless one. */
  private String key(CommandSpec spec, ByteBuf frame) {
    if (spec.firstKey() <= 0) {
      return "";
    }
    scratch.reset(frame).seek(spec.firstKey());
    int length = Math.min(scratch.length(), 256);
    return frame.toString(scratch.offset(), length, StandardCharsets.UTF_8);
  }
}
