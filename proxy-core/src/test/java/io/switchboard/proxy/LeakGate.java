package io.switchboard.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Makes a Netty leak report fail the build. As a launcher-session listener it installs, before any
 * test class touches Netty, a leak detector factory whose detectors record every report; as an
 * auto-detected extension it collects garbage after each test class, lets the detectors look, and
 * fails the class if anything leaked (in it, or in one before it).
 */
public final class LeakGate implements LauncherSessionListener, AfterAllCallback {

  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  /**
   * PARANOID unless {@code -Dleak-gate.level} says otherwise: the failover report sets it to
   * DISABLED, the level the proxy runs at in production ({@code Main}), because a paranoid detector
   * records a stack trace on every buffer read and stalled the event loops for 100 to 200 ms after
   * each failover (decoding the new primary's 90 KB COMMAND reply), which the report then measured
   * as failover pause. The default suite, where leaks are caught, keeps PARANOID.
   */
  @Override
  public void launcherSessionOpened(LauncherSession session) {
    ResourceLeakDetector.setLevel(
        ResourceLeakDetector.Level.valueOf(System.getProperty("leak-gate.level", "PARANOID")));
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(
        new ResourceLeakDetectorFactory() {
          @Override
          public <T> ResourceLeakDetector<T> newResourceLeakDetector(
              Class<T> resource, int samplingInterval, long maxActive) {
            return new Recording<>(resource, samplingInterval);
          }
        });
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    for (int i = 0; i < 5 && LEAKS.isEmpty(); i++) {
      System.gc();
      Thread.sleep(50);
      // Detectors look for collected, unreleased objects when a new one is tracked.
      for (int j = 0; j < 100; j++) {
        ByteBufAllocator.DEFAULT.directBuffer(16).release();
        ByteBufAllocator.DEFAULT.heapBuffer(16).release();
      }
    }
    if (!LEAKS.isEmpty()) {
      String report = String.join("\n\n", LEAKS);
      LEAKS.clear();
      throw new AssertionError("Netty reported leaked buffers:\n" + report);
    }
  }

  private static final class Recording<T> extends ResourceLeakDetector<T> {

    Recording(Class<?> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      LEAKS.add("LEAK: " + resourceType + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      LEAKS.add("LEAK: " + resourceType + " (untraced)");
      super.reportUntracedLeak(resourceType);
    }
  }
}
