package io.switchboard.proxy.metrics;

import io.switchboard.routing.CommandSpec;
import java.util.HashMap;
import java.util.Map;

/**
 * One event loop's cache of command latency cells: one map lookup per command, no meter lookup.
 * Keyed by command name, not by spec: the command table is rebuilt from each new primary's COMMAND
 * reply, and cells per spec would pile up, and keep old tables alive, with every failover.
 */
public final class CommandStats {

  private final ProxyMetrics metrics;
  private final Map<String, CommandLatencyHistogram.Cell[]> cells = new HashMap<>();

  public CommandStats(ProxyMetrics metrics) {
    this.metrics = metrics;
  }

  /** Counts a command answered by {@code servedBy} after {@code nanos}. */
  public void record(CommandSpec spec, ProxyMetrics.ServedBy servedBy, long nanos) {
    CommandLatencyHistogram.Cell[] byRoute = cells.get(spec.name());
    if (byRoute == null) {
      byRoute = new CommandLatencyHistogram.Cell[ProxyMetrics.ServedBy.values().length];
      cells.put(spec.name(), byRoute);
    }
    CommandLatencyHistogram.Cell cell = byRoute[servedBy.ordinal()];
    if (cell == null) {
      cell = metrics.commandCell(spec, servedBy);
      byRoute[servedBy.ordinal()] = cell;
    }
    cell.record(nanos);
  }
}
