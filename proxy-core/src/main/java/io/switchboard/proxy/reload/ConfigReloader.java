package io.switchboard.proxy.reload;

import io.switchboard.config.InvalidConfigException;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.metrics.ProxyMetrics;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration: reads it as start-up does, plans what applies ({@link ReloadPlan}),
 * has the server check all of it, and only then applies it. A file that does not load, or a plan
 * that does not hold (an unknown denied command, a port in use), changes nothing. One reload at a
 * time, whichever asked: the file watch, SIGHUP or {@code POST /admin/reload}.
 */
public final class ConfigReloader {

  private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

  /** What a reload acts on: the running proxy. */
  public interface Target {
    /**
     * Checks {@code plan} against what runs and readies what can fail (binding new ports); returns
     * what applies it, which cannot fail. Throws {@link InvalidConfigException}, having changed
     * nothing, when the plan does not hold.
     */
    Runnable prepare(ReloadPlan plan);

    /** Whether a new port with tls = true can speak TLS (set up at start). */
    boolean tlsReady();
  }

  private final Supplier<SwitchboardConfig> source;
  private final Target target;
  private final ProxyMetrics metrics;

  /** Guarded by this. */
  private SwitchboardConfig running;

  /**
   * @param source reads the configuration as start-up did; throws InvalidConfigException
   */
  public ConfigReloader(
      SwitchboardConfig initial,
      Supplier<SwitchboardConfig> source,
      Target target,
      ProxyMetrics metrics) {
    this.running = initial;
    this.source = source;
    this.target = target;
    this.metrics = metrics;
  }

  public synchronized SwitchboardConfig running() {
    return running;
  }

  private static List<String> addresses(java.util.Collection<ListenerConfig> listeners) {
    return listeners.stream().map(l -> l.endpoint().host() + ":" + l.endpoint().port()).toList();
  }

  /** Reloads, for the reason {@code trigger} names (in the log line and the answer). */
  public synchronized ReloadResult reload(String trigger) {
    ReloadPlan plan;
    try {
      plan = ReloadPlan.between(running, source.get(), target.tlsReady());
      target.prepare(plan).run();
    } catch (InvalidConfigException e) {
      metrics.configReload(false);
      // The message start-up would print for the same file.
      log.error(
          "Reload ({}) rejected, the running configuration is kept: configuration error: {}",
          trigger,
          e.getMessage());
      return ReloadResult.rejected(trigger, e.getMessage());
    }
    running = plan.running();
    metrics.configReload(true);
    ReloadResult result =
        new ReloadResult(
            trigger,
            Instant.now(),
            null,
            plan.applied(),
            plan.needsRestart(),
            addresses(plan.added().values()),
            addresses(plan.removed().values()));
    log.info(
        "Reload ({}): applied {}{}{}",
        trigger,
        result.applied().isEmpty() ? "nothing (no live setting changed)" : result.applied(),
        result.opened().isEmpty() && result.closed().isEmpty()
            ? ""
            : "; listening on " + result.opened() + ", closed " + result.closed(),
        result.needsRestart().isEmpty()
            ? ""
            : "; these changed but need a restart: " + result.needsRestart());
    return result;
  }
}
