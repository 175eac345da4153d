package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import io.switchboard.config.RoutingConfig.Balancing;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/** Picks one node among those that may serve a read. One per event loop: not thread-safe. */
public interface Balancer {

  /**
   * One of {@code candidates} (at least one).
   *
   * @param load requests outstanding on a node, from the caller's point of view
   */
  HostAndPort choose(List<HostAndPort> candidates, ToIntFunction<HostAndPort> load);

  static Balancer of(Balancing balancing, RandomGenerator random) {
    return balancing == Balancing.ROUND_ROBIN ? new RoundRobin() : new LeastOutstanding(random);
  }

  /** Least outstanding requests of two nodes picked at random ("power of two choices"). */
  final class LeastOutstanding implements Balancer {
    private final RandomGenerator random;

    public LeastOutstanding(RandomGenerator random) {
      this.random = random;
    }

    @Override
    public HostAndPort choose(List<HostAndPort> candidates, ToIntFunction<HostAndPort> load) {
      int n = candidates.size();
      if (n == 1) {
        return candidates.get(0);
      }
      int a = random.nextInt(n);
      int b = random.nextInt(n - 1);
      if (b >= a) {
        b++;
      }
      HostAndPort first = candidates.get(a);
      HostAndPort second = candidates.get(b);
      return load.applyAsInt(first) <= load.applyAsInt(second) ? first : second;
    }
  }

  /** Each candidate in turn. */
  final class RoundRobin implements Balancer {
    private int next;

    @Override
    public HostAndPort choose(List<HostAndPort> candidates, ToIntFunction<HostAndPort> load) {
      next = (next + 1) % candidates.size();
      return candidates.get(next);
    }
  }
}
