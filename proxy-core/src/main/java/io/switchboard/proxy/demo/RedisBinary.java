package io.switchboard.proxy.demo;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code redis-server} binary and its version. Sentinel is the same binary with {@code
 * --sentinel}.
 *
 * <p>Two ways to choose one: {@link #pinned} for the tests, which must test the same Redis on every
 * machine, and {@link #forDemo}, which may use the one the user installed.
 */
public record RedisBinary(Path path, int majorVersion, String version) {

  public static final String ENV = "SWITCHBOARD_REDIS_SERVER";

  /**
   * What the demo needs. The proxy itself runs in front of Redis 6.0 and newer, but the demo is
   * where users try what the README shows, Redis 7's functions, {@code _RO} scripts and sharded
   * pub/sub among it.
   */
  static final int DEMO_MIN_MAJOR_VERSION = 7;

  /** The build inside {@code org.signal:embedded-redis}: statically linked, with TLS. */
  static final String EMBEDDED_VERSION = "7.0.15";

  /**
   * The binary named by {@code SWITCHBOARD_REDIS_SERVER}, else the embedded {@value
   * #EMBEDDED_VERSION}: the same Redis on a laptop, in CI and on a machine with only a JDK,
   * whatever is installed there.
   */
  public static RedisBinary pinned() {
    RedisBinary explicit = fromEnvironment();
    return explicit != null ? explicit : embedded();
  }

  /**
   * The binary named by {@code SWITCHBOARD_REDIS_SERVER}, else a {@code redis-server} on the PATH
   * that is new enough, else the embedded one; {@code notice} gets one line when an installed
   * server is passed over for being too old.
   */
  public static RedisBinary forDemo(Consumer<String> notice) {
    RedisBinary explicit = fromEnvironment();
    if (explicit != null) {
      return explicit;
    }
    Path installed = onPath();
    if (installed != null) {
      RedisBinary candidate = describe(installed);
      if (candidate.majorVersion() >= DEMO_MIN_MAJOR_VERSION) {
        return candidate;
      }
      notice.accept(
          installed
              + " is Redis "
              + candidate.version()
              + ", older than the "
              + DEMO_MIN_MAJOR_VERSION
              + ".0 the demo needs; using the embedded Redis "
              + EMBEDDED_VERSION
              + " instead.");
    }
    return embedded();
  }

  /** The build of redis-server shipped inside the embedded-redis artifact for this platform. */
  public static RedisBinary embedded() {
    return describe(extractEmbedded());
  }

  private static RedisBinary fromEnvironment() {
    String explicit = System.getenv(ENV);
    if (explicit == null || explicit.isBlank()) {
      return null;
    }
    Path path = Path.of(explicit);
    if (!Files.isExecutable(path)) {
      throw new IllegalStateException(ENV + "=" + explicit + " is not an executable file");
    }
    return describe(path);
  }

  private static Path onPath() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static Path extractEmbedded() {
    String resource = "redis-server-" + EMBEDDED_VERSION + "-" + platform();
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "switchboard-redis-bin");
    Path target = dir.resolve(resource);
    if (Files.isExecutable(target)) {
      return target;
    }
    try (InputStream in = RedisBinary.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        // The shaded jar carries only the Linux builds (README "Test it").
        throw new IllegalStateException(
            "this build has no embedded " + resource + "; install Redis 7 or set " + ENV);
      }
      Files.createDirectories(dir);
      // Several test JVMs may extract at once: each writes its own file, then renames it.
      Path temp = Files.createTempFile(dir, resource, ".part");
      Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
      if (!temp.toFile().setExecutable(true)) {
        throw new IOException("cannot make " + temp + " executable");
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new IllegalStateException("cannot extract the embedded redis-server: " + e, e);
    }
  }

  /** The platform suffix of the embedded-redis resources. */
  private static String platform() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String system = os.contains("linux") ? "linux" : os.contains("mac") ? "darwin" : null;
    String cpu =
        switch (arch) {
          case "amd64", "x86_64" -> "amd64";
          case "aarch64", "arm64" -> "arm64";
          default -> null;
        };
    if (system == null || cpu == null) {
      throw new IllegalStateException(
          "no embedded redis-server for " + os + "/" + arch + "; install Redis 7 or set " + ENV);
    }
    return system + "-" + cpu;
  }

  private static RedisBinary describe(Path path) {
    try {
      Process process = new ProcessBuilder(path.toString(), "--version").start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor();
      Matcher m = Pattern.compile("v=(\\d+)\\.(\\d+)\\.(\\d+)").matcher(out);
      if (!m.find()) {
        throw new IllegalStateException(path + " --version printed no version: " + out);
      }
      return new RedisBinary(path, Integer.parseInt(m.group(1)), m.group().substring(2));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + path + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking " + path + " for its version", e);
    }
  }
}
