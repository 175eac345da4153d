package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;

/** The same contract against the primary itself: the reference the proxy must match. */
class SemanticsDirectIT extends RedisSemanticsContract {

  @Override
  public HostAndPort target() {
    return SharedTopology.get().primary().address();
  }
}
