package io.switchboard.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Turns reference.conf, an optional config file, system properties and the environment into one
 * validated {@link SwitchboardConfig}. The Typesafe {@link Config} object never leaves this class.
 */
public final class ConfigLoader {

  static final String ROOT = "switchboard";

  /** Environment variables reference.conf reads; only these are visible to its substitutions. */
  static final Set<String> ENVIRONMENT =
      Set.of(
          "REDIS_SENTINEL_HOSTS",
          "REDIS_CLUSTER_NODES",
          "REDIS_SENTINEL_MASTER",
          "REDIS_SENTINEL_USERNAME",
          "REDIS_SENTINEL_PASSWORD",
          "REDIS_USERNAME",
          "REDIS_PASSWORD",
          "SWITCHBOARD_PASSWORD",
          "SWITCHBOARD_AUTH_MODE",
          "SWITCHBOARD_PORT",
          "SWITCHBOARD_ADMIN_PORT",
          "SWITCHBOARD_ADMIN_TOKEN",
          "SWITCHBOARD_CACHE_ENABLED",
          "SWITCHBOARD_LOG_LEVEL");

  private ConfigLoader() {}

  /** Loads from this process's environment and system properties ({@code -Dconfig.file=...}). */
  public static SwitchboardConfig load() {
    return load(System.getenv(), System.getProperties());
  }

  public static SwitchboardConfig load(Map<String, String> env, Properties systemProperties) {
    String file = systemProperties.getProperty("config.file");
    Config fromFile = ConfigFactory.empty();
    if (file != null) {
      File f = new File(file);
      if (!f.isFile()) {
        throw new InvalidConfigException("config.file: " + file + " does not exist");
      }
      fromFile = parse(() -> ConfigFactory.parseFile(f, ConfigParseOptions.defaults()));
    }
    Properties ours = new Properties();
    for (String name : systemProperties.stringPropertyNames()) {
      if (name.startsWith(ROOT + ".")) {
        ours.setProperty(name, systemProperties.getProperty(name));
      }
    }
    Config overrides = ConfigFactory.parseProperties(ours);
    return build(overrides.withFallback(fromFile), env);
  }

  /** Parses HOCON text laid over the defaults, with no environment: for tests and tools. */
  public static SwitchboardConfig parse(String hocon) {
    return build(parse(() -> ConfigFactory.parseString(hocon)), Map.of());
  }

  private static SwitchboardConfig build(Config overrides, Map<String, String> env) {
    Map<String, String> visibleEnv = new HashMap<>();
    env.forEach(
        (k, v) -> {
          if (ENVIRONMENT.contains(k)) {
            visibleEnv.put(k, v);
          }
        });
    Config reference = ConfigFactory.parseResources(ConfigLoader.class, "/reference.conf");
    // The environment sits beside reference.conf at the root, where its ${?VAR} substitutions
    // look; only the switchboard subtree is kept, so the variables themselves are not keys.
    Config defaults =
        parse(
            () ->
                reference
                    .withFallback(ConfigFactory.parseMap(visibleEnv, "environment"))
                    .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false))
                    .withOnlyPath(ROOT));
    Config merged = parse(() -> overrides.withFallback(defaults).resolve());
    rejectUnknownKeys(merged, defaults);
    return SettingsReader.read(new SettingsReader(merged.getConfig(ROOT), ROOT));
  }

  private static void rejectUnknownKeys(Config merged, Config reference) {
    for (Map.Entry<String, ?> entry : merged.getConfig(ROOT).entrySet()) {
      String path = ROOT + "." + entry.getKey();
      if (!reference.hasPathOrNull(path)) {
        String hint = KeySuggestions.closest(path, reference.getConfig(ROOT), ROOT);
        throw new InvalidConfigException(
            path + ": unknown key" + (hint == null ? "" : " (did you mean " + hint + "?)"));
      }
    }
  }

  private static Config parse(Supplier<Config> step) {
    try {
      return step.get();
    } catch (ConfigException e) {
      throw new InvalidConfigException(e.getMessage());
    }
  }
}
