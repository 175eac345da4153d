package io.switchboard.config;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which settings differ between two configurations, named by their keys ({@code
 * switchboard.routing.max-replica-lag}): record components in kebab case, nested records walked,
 * lists compared whole. For a reload, which applies what changed and names what needs a restart.
 */
public final class ConfigDiff {

  private ConfigDiff() {}

  public static List<String> changedKeys(SwitchboardConfig before, SwitchboardConfig after) {
    List<String> out = new ArrayList<>();
    walk(ConfigLoader.ROOT, before, after, out);
    return out;
  }

  private static void walk(String path, Object before, Object after, List<String> out) {
    if (before instanceof Record record && after != null && before.getClass() == after.getClass()) {
      for (RecordComponent component : record.getClass().getRecordComponents()) {
        // Credentials are a pair of keys beside each other: redis.username, redis.password.
        String key =
            component.getType() == Credentials.class
                ? path
                : path + "." + kebab(component.getName());
        walk(key, read(component, before), read(component, after), out);
      }
    } else if (!Objects.equals(before, after)) {
      out.add(path);
    }
  }

  private static Object read(RecordComponent component, Object record) {
    try {
      return component.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + component, e);
    }
  }

  /** {@code maxReplicaLag} as the key spells it: {@code max-replica-lag}. */
  public static String kebab(String camel) {
    StringBuilder out = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        out.append('-').append(Character.toLowerCase(c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
