package io.switchboard.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.switchboard.proxy.session.SessionLoop;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The proxy's event loops and what runs on each: a loop's state is read and changed on its own
 * thread only, so whatever touches it is handed to that thread.
 */
final class EveryLoop {

  private final Map<EventExecutor, SessionLoop> loops = new IdentityHashMap<>();

  void add(EventExecutor executor, SessionLoop loop) {
    loops.put(executor, loop);
  }

  /** The loop that runs on {@code executor} (a channel's event loop). */
  SessionLoop on(EventExecutor executor) {
    return loops.get(executor);
  }

  int size() {
    return loops.size();
  }

  /** Hands {@code task} to every loop, without waiting. */
  void execute(Consumer<SessionLoop> task) {
    loops.forEach((executor, loop) -> executor.execute(() -> task.accept(loop)));
  }

  /** Calls {@code task} for every loop on the caller's thread: for start-up, before any client. */
  void forEach(Consumer<SessionLoop> task) {
    loops.values().forEach(task);
  }

  /** Runs {@code task} on every loop and sums the answers. */
  int sum(ToIntFunction<SessionLoop> task) {
    int sum = 0;
    for (int part : collect(task::applyAsInt)) {
      sum += part;
    }
    return sum;
  }

  /**
   * Runs {@code task} on every loop and collects the answers; a loop that does not answer within 2
   * s is left out.
   */
  <T> List<T> collect(Function<SessionLoop, T> task) {
    List<Future<T>> parts = new ArrayList<>();
    loops.forEach((executor, loop) -> parts.add(executor.submit(() -> task.apply(loop))));
    List<T> answers = new ArrayList<>();
    for (Future<T> part : parts) {
      if (part.awaitUninterruptibly(2, TimeUnit.SECONDS) && part.isSuccess()) {
        answers.add(part.getNow());
      }
    }
    return answers;
  }
}
