package io.switchboard.proxy.session;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Every event loop's client sessions, for CLIENT LIST and CLIENT KILL, and by id for CLIENT
 * TRACKING's REDIRECT: a client sees the proxy's clients as one server's. Each loop's sessions are
 * read, or closed, on that loop; the results come back to the asking session's loop. Nothing
 * blocks: the asking command simply completes later.
 */
public final class ClientDirectory {

  private final List<SessionLoop> loops = new CopyOnWriteArrayList<>();

  /** Connected sessions by client id: where CLIENT TRACKING ... REDIRECT sends invalidations. */
  private final Map<Long, ClientSession> byId = new ConcurrentHashMap<>();

  public void add(SessionLoop loop) {
    loops.add(loop);
  }

  void opened(ClientSession session) {
    byId.put(session.id, session);
  }

  void closed(ClientSession session) {
    byId.remove(session.id, session);
  }

  /** The connected session with this id, on whichever loop; null when there is none. */
  ClientSession find(long id) {
    return byId.get(id);
  }

  /**
   * Runs {@code task} on every loop (on that loop), then {@code done} with the results on {@code
   * home}. A loop that is shutting down contributes nothing.
   */
  <T> void gather(EventLoop home, Function<SessionLoop, T> task, Consumer<List<T>> done) {
    List<SessionLoop> all = List.copyOf(loops);
    Object[] results = new Object[all.size()];
    AtomicInteger left = new AtomicInteger(all.size());
    Runnable finish =
        () -> {
          List<T> answers = new ArrayList<>();
          for (Object result : results) {
            if (result != null) {
              @SuppressWarnings("unchecked")
              T answer = (T) result;
              answers.add(answer);
            }
          }
          done.accept(answers);
        };
    for (int i = 0; i < all.size(); i++) {
      int index = i;
      SessionLoop loop = all.get(i);
      Runnable part =
          () -> {
            results[index] = task.apply(loop);
            if (left.decrementAndGet() == 0) {
              home.execute(finish);
            }
          };
      try {
        loop.eventLoop().execute(part);
      } catch (RejectedExecutionException e) {
        if (left.decrementAndGet() == 0) {
          home.execute(finish);
        }
      }
    }
  }
}
