package io.switchboard.proxy.demo;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code redis-server} to run: the one named by {@code SWITCHBOARD_REDIS_SERVER}, else the one
 * on the PATH, else the Linux build shipped inside the embedded-redis artifact, so a machine with
 * only a JDK can run the demo and the tests. Sentinel is the same binary with {@code --sentinel}.
 */
public record RedisBinary(Path path, int majorVersion, String version) {

  public static final String ENV = "SWITCHBOARD_REDIS_SERVER";

  public static RedisBinary locate() {
    String explicit = System.getenv(ENV);
    if (explicit != null && !explicit.isBlank()) {
      Path path = Path.of(explicit);
      if (!Files.isExecutable(path)) {
        throw new IllegalStateException(ENV + "=" + explicit + " is not an executable file");
      }
      return describe(path);
    }
    String pathVariable = System.getenv().getOrDefault("PATH", "");
    for (String dir : pathVariable.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return describe(candidate);
      }
    }
    return embedded();
  }

  /** The Linux build of redis-server shipped inside the embedded-redis artifact. */
  public static RedisBinary embedded() {
    return describe(extractEmbedded());
  }

  private static Path extractEmbedded() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String resource;
    if (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
      resource = "redis-server-6.2.6-v5-linux-amd64";
    } else if (os.contains("linux") && arch.equals("aarch64")) {
      resource = "redis-server-6.2.7-linux-arm64";
    } else {
      throw new IllegalStateException(
          "no redis-server on the PATH and no embedded build for "
              + os
              + "/"
              + arch
              + "; install Redis or set "
              + ENV);
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "switchboard-redis-bin");
    Path target = dir.resolve(resource);
    if (Files.isExecutable(target)) {
      return target;
    }
    try (InputStream in = RedisBinary.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "no redis-server on the PATH and the embedded " + resource + " is missing");
      }
      Files.createDirectories(dir);
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
