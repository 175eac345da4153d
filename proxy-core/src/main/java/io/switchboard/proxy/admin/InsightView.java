package io.switchboard.proxy.admin;

import io.switchboard.config.BigKeysConfig;
import io.switchboard.config.HotKeysConfig;
import io.switchboard.proxy.insight.BigKeys;
import io.switchboard.proxy.insight.HotKeyRanking;
import io.switchboard.proxy.insight.SlowLog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code /slowlog}, {@code /hotkeys} and {@code /bigkeys} as JSON-ready trees. */
final class InsightView {

  private InsightView() {}

  static Object slowlog(SlowLog log) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (SlowLog.Entry entry : log.latest(-1)) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("id", entry.id());
      e.put("time", Instant.ofEpochSecond(entry.unixSeconds()).toString());
      e.put("micros", entry.micros());
      List<String> args = new ArrayList<>();
      entry.args().forEach(a -> args.add(new String(a, StandardCharsets.UTF_8)));
      e.put("args", args);
      e.put("client", entry.client());
      e.put("client-name", entry.clientName());
      e.put("node", entry.node());
      e.put("node-micros", entry.nodeMicros());
      out.add(e);
    }
    return Map.of("entries", out);
  }

  static Object hotkeys(HotKeysConfig config, List<HotKeyRanking.Ranked> ranked) {
    List<Map<String, Object>> keys = new ArrayList<>();
    for (HotKeyRanking.Ranked key : ranked) {
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("key", key.key());
      k.put("requests", key.requests());
      keys.add(k);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("enabled", config.enabled());
    body.put("window", config.window().toMillis() + "ms");
    body.put("keys", keys);
    return body;
  }

  static Object bigkeys(BigKeysConfig config, BigKeys big) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (BigKeys.Entry entry : big.recent()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("time", entry.at().toString());
      e.put("direction", entry.reply() ? "reply" : "request");
      e.put("command", entry.command().toLowerCase(Locale.ROOT));
      e.put("key", entry.key());
      e.put("bytes", entry.bytes());
      e.put("node", entry.node());
      out.add(e);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("threshold", config.threshold());
    body.put("entries", out);
    return body;
  }
}
