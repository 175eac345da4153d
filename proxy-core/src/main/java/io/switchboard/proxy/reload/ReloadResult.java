package io.switchboard.proxy.reload;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a reload did, as {@code POST /admin/reload} answers it.
 *
 * @param error why the file was rejected (the running configuration is kept), or null
 * @param applied keys whose new values are in force
 * @param needsRestart keys the file changed that apply only after a restart
 * @param opened client ports that now listen, host:port
 * @param closed client ports closed, whose clients drain
 */
public record ReloadResult(
    String trigger,
    Instant at,
    String error,
    List<String> applied,
    List<String> needsRestart,
    List<String> opened,
    List<String> closed) {

  static ReloadResult rejected(String trigger, String error) {
    return new ReloadResult(
        trigger, Instant.now(), error, List.of(), List.of(), List.of(), List.of());
  }

  public boolean ok() {
    return error == null;
  }

  public Map<String, Object> body() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", ok() ? "applied" : "rejected");
    out.put("trigger", trigger);
    out.put("at", at.toString());
    if (ok()) {
      out.put("applied", applied);
      out.put("needs-restart", needsRestart);
      out.put("listeners-opened", opened);
      out.put("listeners-closed", closed);
    } else {
      out.put("error", error);
    }
    return out;
  }
}
