package io.switchboard.proxy.backend;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.resp.ReadClock;
import io.switchboard.proxy.resp.RespReplyDecoder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Backend channels for core unit tests: each connection the proxy opens gets an {@link
 * EmbeddedChannel} with the real reply framer and {@link BackendHandler}. The test sees the
 * requests each node received, in order, and answers them with RESP it writes itself. Handshakes
 * (HELLO, SELECT) are answered as Redis 7 would, unless a node is told to refuse connections.
 */
public final class EmbeddedNodes implements BackendConnector {

  /** A request a node received and has not answered yet. */
  public record Request(EmbeddedChannel channel, List<String> args) {
    public String name() {
      return args.get(0).toUpperCase(java.util.Locale.ROOT);
    }
  }

  private final Map<HostAndPort, List<EmbeddedChannel>> channels = new HashMap<>();
  private final Map<EmbeddedChannel, HostAndPort> nodeOf = new HashMap<>();
  private final Map<HostAndPort, ArrayDeque<Request>> pending = new HashMap<>();
  private final Map<HostAndPort, List<List<String>>> received = new HashMap<>();
  private final Map<HostAndPort, String> refusing = new HashMap<>();

  /** Connections that turned key tracking on (their handshake's CLIENT TRACKING ON). */
  private final java.util.Set<EmbeddedChannel> tracking = new java.util.HashSet<>();

  private long clientIds = 100;
  private FlushBatch flushes;
  private ReadClock clock;

  /** The connector for one loop, whose flush batch the backend handlers feed. */
  public EmbeddedNodes on(BackendLoop loop) {
    this.flushes = loop.flushes();
    this.clock = loop.clock();
    return this;
  }

  @Override
  public ChannelFuture connect(HostAndPort node, BackendConnection connection) {
    EmbeddedChannel channel = new EmbeddedChannel(false, false);
    String refusal = refusing.get(node);
    if (refusal != null) {
      EmbeddedChannel failed = new EmbeddedChannel();
      failed.close();
      return failed.newFailedFuture(new java.net.ConnectException(refusal));
    }
    channel
        .pipeline()
        .addLast(new RespReplyDecoder(clock), new BackendHandler(connection, flushes));
    channels.computeIfAbsent(node, n -> new ArrayList<>()).add(channel);
    nodeOf.put(channel, node);
    try {
      channel.register();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return channel.newSucceededFuture();
  }

  /** New connections to {@code node} fail with {@code reason}. */
  public void refuse(HostAndPort node, String reason) {
    refusing.put(node, reason);
  }

  public List<EmbeddedChannel> channels(HostAndPort node) {
    return channels.getOrDefault(node, List.of());
  }

  /**
   * Reads what every channel was sent: handshakes are answered at once, other requests wait in
   * their node's queue. Returns whether anything arrived.
   */
  public boolean collect() {
    boolean any = false;
    for (Map.Entry<EmbeddedChannel, HostAndPort> entry : new ArrayList<>(nodeOf.entrySet())) {
      EmbeddedChannel channel = entry.getKey();
      channel.runPendingTasks();
      ByteBuf frame;
      while ((frame = channel.readOutbound()) != null) {
        any = true;
        List<List<String>> requests = parseAll(frame);
        for (List<String> args : requests) {
          received.computeIfAbsent(entry.getValue(), n -> new ArrayList<>()).add(args);
          String name = args.get(0).toUpperCase(java.util.Locale.ROOT);
          if (name.equals("HELLO")) {
            reply(channel, helloReply());
          } else if (name.equals("CLIENT") && args.get(1).equalsIgnoreCase("TRACKING")) {
            tracking.add(channel); // the handshake's: sessions' CLIENT TRACKING is the proxy's
            reply(channel, "+OK\r\n");
          } else if (name.equals("SELECT") && channel.isActive() && isHandshakeSelect(channel)) {
            reply(channel, "+OK\r\n");
          } else {
            pending
                .computeIfAbsent(entry.getValue(), n -> new ArrayDeque<>())
                .add(new Request(channel, args));
          }
        }
      }
    }
    return any;
  }

  private boolean isHandshakeSelect(EmbeddedChannel channel) {
    // A SELECT right after HELLO, before anything a session sent, is the handshake's.
    for (Request request : pending.values().stream().flatMap(ArrayDeque::stream).toList()) {
      if (request.channel() == channel) {
        return false;
      }
    }
    return true;
  }

  private String helloReply() {
    return "*6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$2\r\nid\r\n:"
        + (clientIds++)
        + "\r\n";
  }

  /** Requests are arrays of bulk strings, one or more per written buffer. */
  private static List<List<String>> parseAll(ByteBuf frame) {
    List<List<String>> out = new ArrayList<>();
    try {
      while (frame.isReadable()) {
        int count = Integer.parseInt(line(frame).substring(1));
        List<String> args = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          int length = Integer.parseInt(line(frame).substring(1));
          args.add(frame.readCharSequence(length, UTF_8).toString());
          frame.skipBytes(2);
        }
        out.add(args);
      }
    } finally {
      frame.release();
    }
    return out;
  }

  private static String line(ByteBuf frame) {
    int lf = frame.indexOf(frame.readerIndex(), frame.writerIndex(), (byte) '\n');
    String line = frame.toString(frame.readerIndex(), lf - 1 - frame.readerIndex(), UTF_8);
    frame.readerIndex(lf + 1);
    return line;
  }

  /**
   * Lets the loop run ({@code runLoop}: its pending tasks, flushes) and the nodes answer
   * handshakes, until nothing new arrives.
   */
  public void settle(Runnable runLoop) {
    for (int i = 0; i < 20; i++) {
      runLoop.run();
      if (!collect() && i > 1) {
        return;
      }
    }
  }

  /** What {@code node} has been sent, handshakes included, oldest first. */
  public List<List<String>> received(HostAndPort node) {
    return received.getOrDefault(node, List.of());
  }

  /** Names of the commands {@code node} has been sent, handshakes left out. */
  public List<String> commandsTo(HostAndPort node) {
    List<String> names = new ArrayList<>();
    for (List<String> args : received(node)) {
      String name = args.get(0).toUpperCase(java.util.Locale.ROOT);
      if (!name.equals("HELLO")) {
        names.add(String.join(" ", args));
      }
    }
    return names;
  }

  /** Requests {@code node} has not answered yet, oldest first. */
  public List<Request> pending(HostAndPort node) {
    return List.copyOf(pending.getOrDefault(node, new ArrayDeque<>()));
  }

  /** Answers the oldest unanswered request on {@code node} with raw RESP. */
  public Request answer(HostAndPort node, String resp) {
    Request request = pending.get(node).poll();
    if (request == null) {
      throw new AssertionError(node + " has no request to answer");
    }
    reply(request.channel(), resp);
    return request;
  }

  /** Answers the oldest unanswered {@code command} on {@code node}, leaving others waiting. */
  public Request answer(HostAndPort node, String command, String resp) {
    ArrayDeque<Request> waiting = pending.get(node);
    for (Request request : waiting) {
      if (request.name().equals(command)) {
        for (Request earlier : waiting) {
          if (earlier == request) {
            break;
          }
          if (earlier.channel() == request.channel()) {
            throw new AssertionError("Redis answers in order: " + earlier.args() + " comes first");
          }
        }
        waiting.remove(request);
        reply(request.channel(), resp);
        return request;
      }
    }
    throw new AssertionError(node + " has no " + command + " to answer");
  }

  /** Answers every waiting request on {@code node} the same way. */
  public void answerAll(HostAndPort node, String resp) {
    while (!pending.getOrDefault(node, new ArrayDeque<>()).isEmpty()) {
      answer(node, resp);
    }
  }

  /**
   * {@code node} sends a push frame (an invalidation) on its tracking connections, between the
   * replies it already sent and those still due.
   */
  public void push(HostAndPort node, String resp) {
    for (EmbeddedChannel channel : channels(node)) {
      if (tracking.contains(channel)) {
        reply(channel, resp);
      }
    }
  }

  /** The server closes every connection of {@code node}. */
  public void drop(HostAndPort node) {
    for (EmbeddedChannel channel : channels(node)) {
      channel.close();
    }
    ArrayDeque<Request> waiting = pending.remove(node);
    if (waiting != null) {
      waiting.clear();
    }
  }

  private static void reply(EmbeddedChannel channel, String resp) {
    if (channel.isActive()) {
      channel.writeInbound(Unpooled.copiedBuffer(resp, UTF_8));
    }
  }

  /** Closes everything and releases what is left. */
  public void close() {
    for (EmbeddedChannel channel : nodeOf.keySet()) {
      channel.finishAndReleaseAll();
    }
  }
}
