package io.switchboard.proxy;

import io.netty.util.ResourceLeakDetector;
import io.switchboard.config.ConfigLoader;
import io.switchboard.config.InvalidConfigException;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.backend.BackendConnection;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code java -jar switchboard.jar} runs the proxy as configured; {@code java -jar switchboard.jar
 * demo} first starts a local Sentinel topology and points the proxy at it, {@code demo --cluster} a
 * local Redis Cluster.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) throws Exception {
    PrintStream err = System.err;
    quietLeakDetection();
    boolean demo = args.length >= 1 && args[0].equals("demo");
    boolean clusterDemo = demo && args.length == 2 && args[1].equals("--cluster");
    if (args.length > 2 || (args.length >= 1 && !demo) || (args.length == 2 && !clusterDemo)) {
      err.println("usage: java -jar switchboard.jar [demo [--cluster]]");
      System.exit(2);
    }
    SwitchboardConfig config;
    try {
      config =
          demo
              ? ConfigLoader.load(
                  System.getenv(), Demo.settings(System.getProperties(), clusterDemo))
              : ConfigLoader.load();
    } catch (InvalidConfigException e) {
      err.println("switchboard: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (demo) {
      if (clusterDemo) {
        Demo.runCluster(config);
      } else {
        Demo.run(config);
      }
      return;
    }
    SwitchboardServer server;
    try {
      String file = System.getProperty("config.file");
      server =
          new SwitchboardServer(config, ConfigLoader::load, file == null ? null : Path.of(file));
    } catch (InvalidConfigException e) {
      err.println("switchboard: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      server.start();
    } catch (Exception e) {
      err.println("switchboard: cannot start: " + BackendConnection.describe(e));
      server.close();
      System.exit(1);
    }
    handleTermination(server);
    handleReload(server);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "switchboard-shutdown"));
    Thread.currentThread().join();
  }

  /**
   * Netty's sampled leak detection (its default) records a stack trace for one buffer in 128: about
   * a fifth of the heap the proxy allocated per request (27 of 129 bytes at P16 SET). The test
   * suite runs at paranoid, where a leak fails the build, so the packaged proxy turns it off unless
   * {@code -Dio.netty.leakDetection.level} is given.
   */
  private static void quietLeakDetection() {
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  /**
   * SIGHUP reloads the configuration, as nginx and HAProxy do; on a thread of its own, as the
   * signal's thread must not wait on a reload.
   */
  @SuppressWarnings("removal")
  private static void handleReload(SwitchboardServer server) {
    sun.misc.Signal.handle(
        new sun.misc.Signal("HUP"),
        signal -> {
          Thread reload = new Thread(() -> server.reload("SIGHUP"), "switchboard-reload");
          reload.setDaemon(true);
          reload.start();
        });
  }

  /**
   * SIGTERM (and SIGINT): drain gracefully, bounded by server.shutdown-timeout, then exit 0. A
   * second signal while draining exits at once. The JDK's own handler would run the shutdown hooks
   * and ignore a second signal, so these are taken over (sun.misc.Signal is the only JDK API).
   */
  @SuppressWarnings("removal")
  private static void handleTermination(SwitchboardServer server) {
    java.util.concurrent.atomic.AtomicBoolean stopping =
        new java.util.concurrent.atomic.AtomicBoolean();
    sun.misc.SignalHandler handler =
        signal -> {
          if (!stopping.compareAndSet(false, true)) {
            System.err.println("switchboard: second SIG" + signal.getName() + ", exiting now");
            Runtime.getRuntime().halt(0);
          }
          Thread drain =
              new Thread(
                  () -> {
                    server.shutdownGracefully();
                    System.exit(0);
                  },
                  "switchboard-drain");
          drain.start();
        };
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
    sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
  }
}
