package io.switchboard.config;

import java.time.Duration;
import java.util.List;

/** How to find the primary: which Sentinels, which master name, which credentials. */
public record SentinelConfig(
    List<HostAndPort> hosts,
    String master,
    Credentials credentials,
    Duration timeout,
    Duration reconcileInterval,
    Duration retryMin,
    Duration retryMax,
    OutboundTlsConfig tls) {

  public SentinelConfig {
    hosts = List.copyOf(hosts);
  }
}
