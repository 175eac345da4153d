package io.switchboard.proxy.tls;

import io.netty.handler.ssl.SslContext;
import io.switchboard.config.FileStamps;
import io.switchboard.config.InvalidConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TLS context rebuilt when its certificate, key or CA files change, so certificates rotated in
 * place (cert-manager, a Kubernetes Secret volume's symlink swap) are used by new connections
 * without a restart; open connections keep the context they started with. A change that does not
 * build (a half-written file) keeps the old context and is tried again at the next check.
 */
public final class ReloadingSslContext {

  private static final Logger log = LoggerFactory.getLogger(ReloadingSslContext.class);

  private final String key;
  private final List<Path> files = new ArrayList<>();
  private final Supplier<SslContext> build;
  private volatile SslContext current;
  private List<String> stamps;

  /** The file state that last failed to load, so a bad file is reported once, not every check. */
  private List<String> failed;

  /**
   * @param key the configuration key the files come from, for log lines
   * @param build reads the files; throws {@link InvalidConfigException} when they do not build
   */
  ReloadingSslContext(String key, List<String> paths, Supplier<SslContext> build) {
    this.key = key;
    for (String path : paths) {
      if (!path.isEmpty()) {
        files.add(Path.of(path));
      }
    }
    this.build = build;
    this.stamps = stamps();
    this.current = build.get();
  }

  public SslContext get() {
    return current;
  }

  /** Rebuilds the context if a file changed since the last look; called from one thread only. */
  public void reloadIfChanged() {
    List<String> now = stamps();
    if (now.equals(stamps) || now.equals(failed)) {
      return;
    }
    try {
      current = build.get();
      stamps = now;
      log.info("{}: certificate files changed; new connections use them", key);
    } catch (InvalidConfigException e) {
      failed = now;
      log.warn(
          "{}: certificate files changed but do not load, keeping the previous ones: {}",
          key,
          e.getMessage());
    }
  }

  private List<String> stamps() {
    return FileStamps.of(files);
  }
}
