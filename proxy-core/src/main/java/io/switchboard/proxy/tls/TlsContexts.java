package io.switchboard.proxy.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.InvalidConfigException;
import io.switchboard.config.ListenerTlsConfig;
import io.switchboard.config.OutboundTlsConfig;
import java.io.File;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Netty TLS contexts built once from the configuration: one for client ports, one for connections
 * to Redis nodes. A bad certificate or key stops start-up with the key that names it.
 */
public final class TlsContexts {

  private TlsContexts() {}

  /**
   * BoringSSL (netty-tcnative, bundled for Linux x86-64 and aarch64) where it loads, else the JDK's
   * engine. On the benchmark box BoringSSL took 20-40% less proxy CPU per request than the JDK's
   * engine (redis-benchmark GET over TLS, README "Security"). Decided on first use, so a proxy
   * without TLS never loads the native library.
   */
  public static SslProvider provider() {
    return Engine.PROVIDER;
  }

  private static final class Engine {
    static final SslProvider PROVIDER =
        OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  /** The client-side context for connections to Redis nodes, or null when TLS is off. */
  public static ReloadingSslContext forBackends(OutboundTlsConfig tls) {
    if (!tls.enabled()) {
      return null;
    }
    return new ReloadingSslContext(
        "switchboard.redis.tls",
        List.of(tls.caFile(), tls.certFile(), tls.keyFile()),
        () -> backendContext(tls));
  }

  private static SslContext backendContext(OutboundTlsConfig tls) {
    try {
      SslContextBuilder builder =
          SslContextBuilder.forClient()
              .sslProvider(provider())
              // Netty 4.2 checks the host name by default; an operator may turn it off when
              // Sentinel announces addresses the certificates do not name.
              .endpointIdentificationAlgorithm(tls.verifyHostname() ? "HTTPS" : null);
      if (!tls.caFile().isEmpty()) {
        builder.trustManager(new File(tls.caFile()));
      }
      if (!tls.certFile().isEmpty()) {
        KeyPairCheck.verify(tls.certFile(), tls.keyFile());
        builder.keyManager(new File(tls.certFile()), new File(tls.keyFile()));
      }
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new InvalidConfigException("switchboard.redis.tls: " + reason(e));
    }
  }

  /** The server-side context for client ports with tls = true, or null when none has it. */
  public static ReloadingSslContext forClients(ListenerTlsConfig tls) {
    if (tls.certFile().isEmpty()) {
      return null;
    }
    return new ReloadingSslContext(
        "switchboard.tls",
        List.of(tls.certFile(), tls.keyFile(), tls.caFile()),
        () -> listenerContext(tls));
  }

  private static SslContext listenerContext(ListenerTlsConfig tls) {
    try {
      KeyPairCheck.verify(tls.certFile(), tls.keyFile());
      SslContextBuilder builder =
          SslContextBuilder.forServer(new File(tls.certFile()), new File(tls.keyFile()))
              .sslProvider(provider())
              .clientAuth(
                  switch (tls.clientAuth()) {
                    case NONE -> ClientAuth.NONE;
                    case OPTIONAL -> ClientAuth.OPTIONAL;
                    case REQUIRE -> ClientAuth.REQUIRE;
                  });
      if (!tls.caFile().isEmpty()) {
        builder.trustManager(new File(tls.caFile()));
      }
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new InvalidConfigException("switchboard.tls: " + reason(e));
    }
  }

  /** A handler for a connection to {@code node}: SNI and host-name checks use its name. */
  public static SslHandler handlerFor(
      SslContext context, ByteBufAllocator alloc, HostAndPort node) {
    return context.newHandler(alloc, node.host(), node.port());
  }

  private static String reason(Exception e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? e.getMessage() : e.getMessage() + " (" + root.getMessage() + ")";
  }
}
