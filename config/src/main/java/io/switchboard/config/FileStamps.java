package io.switchboard.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What tells that files changed without reading them: each one's modification time and size,
 * through symlinks, so a Kubernetes volume's symlink swap (ConfigMap, Secret) counts as a change.
 * Used to reload certificate files and the configuration file.
 */
public final class FileStamps {

  private FileStamps() {}

  /** One stamp per file, in order; a file that cannot be read stamps as the error. */
  public static List<String> of(List<Path> files) {
    List<String> out = new ArrayList<>();
    for (Path file : files) {
      try {
        out.add(Files.getLastModifiedTime(file) + "/" + Files.size(file));
      } catch (IOException e) {
        out.add(Objects.toString(e.getMessage()));
      }
    }
    return out;
  }
}
