package io.switchboard.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.switchboard.config.Endpoint;
import io.switchboard.config.InvalidConfigException;
import io.switchboard.config.LimitsConfig;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.ListenerKey;
import io.switchboard.proxy.auth.ClientAuth;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.BackendLoop;
import io.switchboard.proxy.resp.RespRequestDecoder;
import io.switchboard.proxy.session.ClientDirectory;
import io.switchboard.proxy.session.ClientSession;
import io.switchboard.proxy.session.SessionLoop;
import io.switchboard.proxy.tls.ReloadingSslContext;
import io.switchboard.proxy.transport.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client ports: bound at start, added and removed by a reload, closed by a drain. A client gets
 * the settings of its port as its event loop's configuration has them when it connects.
 */
final class ClientListeners {

  private static final Logger log = LoggerFactory.getLogger(ClientListeners.class);

  /** A bound port and the listener it was bound for. */
  record Bound(ListenerKey key, ListenerConfig listener, Channel channel) {}

  private final EventLoopGroup group;
  private final Transport transport;
  private final EveryLoop loops;
  private final ClientAuth auth;
  private final ClientDirectory directory;

  /** TLS for ports with tls = true, or null when none had it at start. */
  private final ReloadingSslContext clientTls;

  /**
   * The main port first; guarded by this. A list, not a map by endpoint: several ports may be
   * configured as port 0 (tests), each bound to a port of its own.
   */
  private final List<Bound> bound = new ArrayList<>();

  /** Drained: nothing is bound any more, a reload adds nothing. Guarded by this. */
  private boolean draining;

  ClientListeners(
      EventLoopGroup group,
      Transport transport,
      EveryLoop loops,
      ClientAuth auth,
      ClientDirectory directory,
      ReloadingSslContext clientTls) {
    this.group = group;
    this.transport = transport;
    this.loops = loops;
    this.auth = auth;
    this.directory = directory;
    this.clientTls = clientTls;
  }

  /** Whether a port with tls = true can be bound: TLS was set up at start. */
  boolean tlsReady() {
    return clientTls != null;
  }

  /** Binds every port of {@code listeners}; at start. */
  synchronized void start(List<ListenerConfig> listeners) throws InterruptedException {
    for (Map.Entry<ListenerKey, ListenerConfig> entry : ListenerKey.of(listeners).entrySet()) {
      bound.add(
          new Bound(entry.getKey(), entry.getValue(), bind(entry.getKey(), entry.getValue())));
    }
  }

  /**
   * Binds a reload's new ports, before anything of the reload applies; one that cannot be bound (in
   * use) closes those bound so far and rejects the reload.
   */
  synchronized List<Bound> bindNew(Map<ListenerKey, ListenerConfig> added) {
    List<Bound> fresh = new ArrayList<>();
    for (Map.Entry<ListenerKey, ListenerConfig> entry : added.entrySet()) {
      ListenerConfig listener = entry.getValue();
      if (draining) {
        break;
      }
      try {
        fresh.add(new Bound(entry.getKey(), listener, bind(entry.getKey(), listener)));
      } catch (Exception e) {
        fresh.forEach(b -> b.channel().close().syncUninterruptibly());
        throw new InvalidConfigException(
            "switchboard.listeners: cannot listen on "
                + listener.endpoint().host()
                + ":"
                + listener.endpoint().port()
                + ": "
                + BackendConnection.describe(e));
      }
    }
    return fresh;
  }

  /**
   * A reload: the ports {@link #bindNew} bound start serving (they accept already: a client that
   * came early gets the new settings, which its loop has by then or takes from the listener); the
   * removed ones stop accepting, and their clients drain in the background as at a graceful
   * shutdown, for up to {@code timeout}.
   */
  void reconcile(List<Bound> added, Set<ListenerKey> removed, Duration timeout) {
    List<ListenerKey> gone = new ArrayList<>();
    synchronized (this) {
      if (draining) {
        // A drain came between binding and now: the new ports must not outlive it.
        added.forEach(b -> b.channel().close().syncUninterruptibly());
      } else {
        bound.addAll(added);
      }
      for (Bound b : new ArrayList<>(bound)) {
        if (removed.contains(b.key())) {
          bound.remove(b);
          b.channel().close().syncUninterruptibly();
          gone.add(b.key());
        }
      }
    }
    if (!gone.isEmpty()) {
      Thread drain =
          new Thread(
              () -> {
                int closed = drainClients(gone::contains, timeout);
                log.info(
                    "Closed port(s) {}: {} clients drained and disconnected",
                    gone.stream()
                        .map(k -> k.endpoint().host() + ":" + k.endpoint().port())
                        .toList(),
                    closed);
              },
              "switchboard-listener-drain");
      drain.setDaemon(true);
      drain.start();
    }
  }

  /**
   * Stops reading from the clients of the ports {@code which} accepts, gives their commands in
   * flight up to {@code timeout} to be answered, then disconnects them; returns how many there
   * were.
   */
  int drainClients(Predicate<ListenerKey> which, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int pending = loops.sum(loop -> loop.sessions().quiesce(which));
    while (pending > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      pending = loops.sum(loop -> loop.sessions().pendingReplies(which));
    }
    if (pending > 0) {
      log.warn(
          "Disconnecting clients with {} commands unanswered after server.shutdown-timeout",
          pending);
    }
    return loops.sum(loop -> loop.sessions().closeAll(which));
  }

  /** Stops accepting on every port (a drain, a shutdown); nothing is bound again. */
  synchronized void closeAll() {
    draining = true;
    for (Bound b : bound) {
      b.channel().close().syncUninterruptibly();
    }
    bound.clear();
  }

  /** The bound port of each listener, the main one first. */
  synchronized List<Integer> ports() {
    List<Integer> ports = new ArrayList<>();
    for (Bound b : bound) {
      ports.add(((InetSocketAddress) b.channel().localAddress()).getPort());
    }
    return ports;
  }

  /** For the start-up line: each port with its policy. */
  synchronized String describe() {
    List<String> parts = new ArrayList<>();
    for (Bound b : bound) {
      ListenerConfig listener = b.listener();
      parts.add(
          listener.endpoint().host()
              + ":"
              + ((InetSocketAddress) b.channel().localAddress()).getPort()
              + " (read-from "
              + kebab(listener.readFrom())
              + ", "
              + kebab(listener.consistency())
              + (listener.tls() ? ", TLS" : "")
              + ")");
    }
    return String.join(", ", parts);
  }

  private static String kebab(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private Channel bind(ListenerKey key, ListenerConfig listener) throws InterruptedException {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, BackendLoop.ALLOCATOR)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    SessionLoop loop = loops.on(ch.eventLoop());
                    ListenerConfig now =
                        ListenerKey.of(loop.backend().config().allListeners())
                            .getOrDefault(key, listener);
                    LimitsConfig limits = loop.backend().config().limits();
                    if (now.tls()) {
                      ch.pipeline().addLast(clientTls.get().newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast(
                            new RespRequestDecoder(
                                loop.backend().clock(),
                                limits.maxBulkBytes(),
                                limits.maxMultibulk(),
                                limits.maxInlineBytes(),
                                limits.maxRequestBytes()))
                        .addLast(new ClientSession(loop, key, now, auth, directory));
                  }
                });
    Endpoint endpoint = listener.endpoint();
    return bootstrap.bind(new InetSocketAddress(endpoint.host(), endpoint.port())).sync().channel();
  }
}
