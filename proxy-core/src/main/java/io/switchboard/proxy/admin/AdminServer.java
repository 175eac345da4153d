package io.switchboard.proxy.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.switchboard.config.AdminConfig;
import io.switchboard.config.Endpoint;
import io.switchboard.proxy.transport.Transport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP endpoint, on its own port and its own event loop so that a slow scrape never
 * delays a client: health probes, the topology as the proxy sees it, Prometheus metrics and the
 * effective configuration. What it shows comes from {@link AdminView}; this class only speaks HTTP.
 */
public final class AdminServer implements AutoCloseable {

  /** What the admin endpoint reads; answered from the admin thread. */
  interface AdminView {
    /** Null when ready, else why not (no primary, no Sentinel, primary not answering). */
    String notReadyReason();

    Map<String, Object> topology();

    /** Connected client sessions, gathered from every event loop. */
    java.util.List<Map<String, Object>> clients();

    String metrics();

    Object config();

    /** The proxy's slow log, newest first, with each command's node and its share. */
    Object slowlog();

    /** The hottest keys, merged over the event loops. */
    Object hotkeys();

    /** The recent big requests and replies. */
    Object bigkeys();

    /** POST /admin/drain: stop accepting clients; the current ones stay. */
    Action drain();

    /** POST /admin/reconcile: ask the Sentinels now. */
    Action reconcile();

    /** POST /admin/failover: ask a Sentinel to fail the primary over (blocks up to its timeout). */
    Action failover();

    /** POST /admin/reload: read the configuration file again; 400 when it is rejected. */
    Action reload();
  }

  /** What an action answers: an HTTP status and a JSON body. */
  record Action(int status, Map<String, Object> body) {}

  private static final int MAX_REQUEST_BYTES = 64 * 1024;

  private final Endpoint endpoint;
  private final byte[] token;
  private final AdminView view;
  private final Transport transport;
  private final EventLoopGroup group;
  private final java.util.concurrent.ExecutorService workers =
      java.util.concurrent.Executors.newFixedThreadPool(
          2, new DefaultThreadFactory("switchboard-admin-work", true));
  private Channel channel;

  public AdminServer(AdminConfig config, AdminView view, Transport transport) {
    this.endpoint = config.endpoint();
    this.token = config.token().getBytes(StandardCharsets.UTF_8);
    this.view = view;
    this.transport = transport;
    this.group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("switchboard-admin"), transport.ioHandlerFactory());
  }

  /** Binds the port; returns the bound port number (useful when configured as 0). */
  public int start() throws InterruptedException {
    channel =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                        .addLast(new Handler());
                  }
                })
            .bind(new InetSocketAddress(endpoint.host(), endpoint.port()))
            .sync()
            .channel();
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      // Answered off the admin event loop: some answers wait on the proxy's loops or on Sentinel
      // (a failover request waits for its reply), and the probes must not queue behind them.
      Request asked =
          new Request(
              request.method(),
              new QueryStringDecoder(request.uri()).path(),
              request.headers().get(HttpHeaderNames.AUTHORIZATION, ""),
              HttpUtil.isKeepAlive(request));
      workers.execute(() -> respond(ctx, asked));
    }

    private void respond(ChannelHandlerContext ctx, Request request) {
      FullHttpResponse response;
      try {
        response =
            request.path().startsWith("/admin/")
                ? action(request)
                : route(request.method(), request.path());
      } catch (RuntimeException e) {
        response = json(HttpResponseStatus.INTERNAL_SERVER_ERROR, error(e.toString()));
      }
      HttpUtil.setContentLength(response, response.content().readableBytes());
      if (request.keepAlive()) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(response);
      } else {
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private FullHttpResponse route(HttpMethod method, String path) {
    boolean get = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
    boolean known =
        switch (path) {
          case "/health/live",
              "/health/ready",
              "/topology",
              "/clients",
              "/metrics",
              "/config",
              "/slowlog",
              "/hotkeys",
              "/bigkeys" ->
              true;
          default -> false;
        };
    if (!known) {
      return json(HttpResponseStatus.NOT_FOUND, error("no such path: " + path));
    }
    if (!get) {
      return json(
          HttpResponseStatus.METHOD_NOT_ALLOWED, error(path + " answers GET, not " + method));
    }
    return switch (path) {
      case "/health/live" -> json(HttpResponseStatus.OK, Map.of("status", "live"));
      case "/health/ready" -> ready();
      case "/topology" -> json(HttpResponseStatus.OK, view.topology());
      case "/clients" -> json(HttpResponseStatus.OK, Map.of("clients", view.clients()));
      case "/slowlog" -> json(HttpResponseStatus.OK, view.slowlog());
      case "/hotkeys" -> json(HttpResponseStatus.OK, view.hotkeys());
      case "/bigkeys" -> json(HttpResponseStatus.OK, view.bigkeys());
      case "/metrics" ->
          response(
              HttpResponseStatus.OK,
              "text/plain; version=0.0.4; charset=utf-8",
              view.metrics().getBytes(StandardCharsets.UTF_8));
      default -> json(HttpResponseStatus.OK, view.config());
    };
  }

  /** What the handler keeps of a request once its buffer is released. */
  private record Request(HttpMethod method, String path, String authorization, boolean keepAlive) {}

  /** POST /admin/...: only with the configured bearer token. */
  private FullHttpResponse action(Request request) {
    String path = request.path();
    boolean known =
        switch (path) {
          case "/admin/drain", "/admin/reconcile", "/admin/failover", "/admin/reload" -> true;
          default -> false;
        };
    if (!known) {
      return json(HttpResponseStatus.NOT_FOUND, error("no such path: " + path));
    }
    if (!request.method().equals(HttpMethod.POST)) {
      return json(
          HttpResponseStatus.METHOD_NOT_ALLOWED,
          error(path + " answers POST, not " + request.method()));
    }
    if (token.length == 0) {
      return json(
          HttpResponseStatus.FORBIDDEN,
          error("admin actions are disabled: set admin.token (SWITCHBOARD_ADMIN_TOKEN)"));
    }
    String authorization = request.authorization();
    byte[] given =
        authorization.startsWith("Bearer ")
            ? authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8)
            : new byte[0];
    if (!MessageDigest.isEqual(given, token)) {
      FullHttpResponse refused =
          json(HttpResponseStatus.UNAUTHORIZED, error("missing or wrong bearer token"));
      refused.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
      return refused;
    }
    Action result =
        switch (path) {
          case "/admin/drain" -> view.drain();
          case "/admin/reconcile" -> view.reconcile();
          case "/admin/reload" -> view.reload();
          default -> view.failover();
        };
    return json(HttpResponseStatus.valueOf(result.status()), result.body());
  }

  private FullHttpResponse ready() {
    String reason = view.notReadyReason();
    if (reason == null) {
      return json(HttpResponseStatus.OK, Map.of("status", "ready"));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "not ready");
    body.put("reason", reason);
    return json(HttpResponseStatus.SERVICE_UNAVAILABLE, body);
  }

  private static Map<String, Object> error(String message) {
    return Map.of("error", message);
  }

  private static FullHttpResponse json(HttpResponseStatus status, Object body) {
    return response(status, "application/json", Json.render(body).getBytes(StandardCharsets.UTF_8));
  }

  private static FullHttpResponse response(HttpResponseStatus status, String type, byte[] body) {
    ByteBuf content = Unpooled.wrappedBuffer(body);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    return response;
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownNow();
  }
}
