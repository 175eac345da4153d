package io.switchboard.proxy.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.resp.RespReplyDecoder;
import io.switchboard.proxy.resp.RespValue;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A minimal blocking Redis client for the demo topology and for tests that want raw RESP: sends
 * commands or raw bytes, reads replies framed by the proxy's own reply decoder. Error replies come
 * back as {@link RespValue.Error} values, not exceptions.
 */
public final class RespClient implements Closeable {

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final EmbeddedChannel framer = new EmbeddedChannel(new RespReplyDecoder());
  private final byte[] chunk = new byte[64 * 1024];

  private RespClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  public static RespClient connect(HostAndPort address, Duration timeout) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(
          new InetSocketAddress(address.host(), address.port()), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      socket.setTcpNoDelay(true);
      return new RespClient(socket);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * A TLS connection: the handshake is done and the server's certificate checked against {@code
   * tls}'s trust and the host name before this returns.
   */
  public static RespClient connectTls(HostAndPort address, Duration timeout, SSLContext tls)
      throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(
          new InetSocketAddress(address.host(), address.port()), (int) timeout.toMillis());
      SSLSocket socket =
          (SSLSocket)
              tls.getSocketFactory().createSocket(plain, address.host(), address.port(), true);
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
      socket.setSoTimeout((int) timeout.toMillis());
      socket.setTcpNoDelay(true);
      socket.startHandshake();
      return new RespClient(socket);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
  }

  /** Sends one command (String or byte[] arguments) and returns its reply as a value. */
  public Object call(Object... args) throws IOException {
    send(encode(args));
    return read();
  }

  public static byte[] encode(Object... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (Object arg : args) {
      byte[] bytes =
          arg instanceof byte[] b ? b : String.valueOf(arg).getBytes(StandardCharsets.UTF_8);
      buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      buf.writeBytes(bytes);
      buf.writeBytes(new byte[] {'\r', '\n'});
    }
    return buf.toByteArray();
  }

  public void send(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
  }

  /** Reads one reply as a value. */
  public Object read() throws IOException {
    ByteBuf frame = readFrame();
    try {
      return RespValue.parse(frame);
    } finally {
      frame.release();
    }
  }

  /**
   * Reads one reply if it arrives within {@code wait}, else returns null; a frame that arrived
   * partly stays buffered for the next read.
   */
  public Object readWithin(Duration wait) throws IOException {
    int previous = socket.getSoTimeout();
    socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
    try {
      return read();
    } catch (java.net.SocketTimeoutException e) {
      return null;
    } finally {
      socket.setSoTimeout(previous);
    }
  }

  /** Reads one reply as the exact bytes the server sent. */
  public String readRaw() throws IOException {
    ByteBuf frame = readFrame();
    try {
      return frame.toString(StandardCharsets.UTF_8);
    } finally {
      frame.release();
    }
  }

  private ByteBuf readFrame() throws IOException {
    while (true) {
      ByteBuf frame = framer.readInbound();
      if (frame != null) {
        return frame;
      }
      int n = in.read(chunk);
      if (n < 0) {
        throw new IOException("connection closed by " + socket.getRemoteSocketAddress());
      }
      framer.writeInbound(Unpooled.copiedBuffer(chunk, 0, n));
    }
  }

  /** True when the server closed the connection (reads end of stream). */
  public boolean isClosedByPeer() throws IOException {
    return in.read() < 0;
  }

  @Override
  public void close() throws IOException {
    framer.finishAndReleaseAll();
    socket.close();
  }
}
