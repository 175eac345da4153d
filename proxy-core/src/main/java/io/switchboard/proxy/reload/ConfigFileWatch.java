package io.switchboard.proxy.reload;

import io.switchboard.config.FileStamps;
import java.nio.file.Path;
import java.util.List;

/**
 * Reloads when the configuration file changes, as certificate files are watched: its modification
 * time and size through symlinks, so a Kubernetes ConfigMap's symlink swap counts. A rejected file
 * is reported once, not at every check. Run on one thread.
 */
public final class ConfigFileWatch implements Runnable {

  private final List<Path> file;
  private final ConfigReloader reloader;
  private List<String> seen;

  public ConfigFileWatch(Path file, ConfigReloader reloader) {
    this.file = List.of(file);
    this.reloader = reloader;
    this.seen = FileStamps.of(this.file);
  }

  @Override
  public void run() {
    List<String> now = FileStamps.of(file);
    if (!now.equals(seen)) {
      seen = now;
      reloader.reload("file changed: " + file.get(0));
    }
  }
}
