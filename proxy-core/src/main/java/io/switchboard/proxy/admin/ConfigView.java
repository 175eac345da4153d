package io.switchboard.proxy.admin;

import io.switchboard.config.ConfigDiff;
import io.switchboard.config.Credentials;
import io.switchboard.config.HostAndPort;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The effective configuration as a JSON-ready tree for {@code GET /config}: record components in
 * kebab case, durations as "2000ms", enums as their config spelling, and every password replaced by
 * {@code "<redacted>"} (or "" when none is set, so an operator can tell the two apart).
 */
final class ConfigView {

  static final String REDACTED = "<redacted>";

  private ConfigView() {}

  static Object of(Object value) {
    if (value == null || value instanceof String || value instanceof Number) {
      return value;
    }
    if (value instanceof Boolean) {
      return value;
    }
    if (value instanceof Credentials credentials) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("username", credentials.username());
      out.put("password", credentials.hasPassword() ? REDACTED : "");
      return out;
    }
    if (value instanceof HostAndPort node) {
      return node.toString();
    }
    if (value instanceof Duration duration) {
      return duration.toMillis() + "ms";
    }
    if (value instanceof Enum<?> option) {
      return option.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
    if (value instanceof Collection<?> items) {
      List<Object> out = new ArrayList<>();
      for (Object item : items) {
        out.add(of(item));
      }
      return out;
    }
    if (value instanceof Record record) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (RecordComponent component : record.getClass().getRecordComponents()) {
        try {
          Object field = component.getAccessor().invoke(record);
          boolean secret =
              component.getName().contains("password") || component.getName().contains("token");
          if (secret && field instanceof String text) {
            out.put(ConfigDiff.kebab(component.getName()), text.isEmpty() ? "" : REDACTED);
            continue;
          }
          out.put(ConfigDiff.kebab(component.getName()), of(field));
        } catch (ReflectiveOperationException e) {
          out.put(ConfigDiff.kebab(component.getName()), "unreadable: " + e);
        }
      }
      return out;
    }
    return value.toString();
  }
}
