package io.switchboard.proxy.insight;

import io.switchboard.config.SwitchboardConfig;

/** The operator's tools every event loop writes to: the slow log and the big keys. */
public record SharedInsight(SlowLog slowLog, BigKeys bigKeys) {

  public static SharedInsight of(SwitchboardConfig config) {
    return new SharedInsight(new SlowLog(config.slowlog()), new BigKeys(config.bigkeys()));
  }

  /** A reload's settings. */
  public void configure(SwitchboardConfig config) {
    slowLog.configure(config.slowlog());
    bigKeys.configure(config.bigkeys());
  }
}
