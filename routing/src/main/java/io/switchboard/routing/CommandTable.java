package io.switchboard.routing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Command name to {@link CommandSpec}, looked up case-insensitively straight from the request
 * bytes: an open-addressing table of upper-case names, so the hot path builds no strings.
 *
 * <p>The built-in table comes from Redis 7's own {@code COMMAND} output (see {@code
 * routing/src/build/generate-commands.sh}); {@link #fromCommandReply} builds one from a live
 * server's reply, so module commands and commands of newer servers get their real flags. Container
 * commands ({@code SCRIPT}, {@code OBJECT}, ...) carry a table of their subcommands.
 */
public final class CommandTable {

  private static final String RESOURCE = "redis-commands.tsv";
  private static final CommandTable BUILT_IN = fromSpecs(loadBuiltIn());

  private final byte[][] names;
  private final CommandSpec[] specs;
  private final int mask;
  private final int size;

  private CommandTable(Collection<CommandSpec> all, boolean subcommandNames) {
    int capacity = Integer.highestOneBit(Math.max(4, all.size() * 4) - 1) << 1;
    names = new byte[capacity][];
    specs = new CommandSpec[capacity];
    mask = capacity - 1;
    size = all.size();
    for (CommandSpec spec : all) {
      String key =
          subcommandNames ? spec.name().substring(spec.name().indexOf('|') + 1) : spec.name();
      byte[] name = key.getBytes(StandardCharsets.US_ASCII);
      int slot = hash(name) & mask;
      while (names[slot] != null) {
        if (Arrays.equals(names[slot], name)) {
          throw new IllegalArgumentException("duplicate command " + spec.name());
        }
        slot = (slot + 1) & mask;
      }
      names[slot] = name;
      specs[slot] = spec;
    }
  }

  public static CommandTable builtIn() {
    return BUILT_IN;
  }

  /** Builds a table from specs named {@code NAME} and {@code CONTAINER|SUB}. */
  static CommandTable fromSpecs(List<CommandSpec> all) {
    Map<String, CommandSpec> top = new LinkedHashMap<>();
    Map<String, List<CommandSpec>> subs = new LinkedHashMap<>();
    for (CommandSpec spec : all) {
      int bar = spec.name().indexOf('|');
      if (bar < 0) {
        top.put(spec.name(), spec);
      } else {
        subs.computeIfAbsent(spec.name().substring(0, bar), k -> new ArrayList<>()).add(spec);
      }
    }
    subs.forEach(
        (container, children) -> {
          CommandSpec parent = top.get(container);
          if (parent != null) {
            top.put(container, parent.withSubcommands(new CommandTable(children, true)));
          }
        });
    return new CommandTable(top.values(), false);
  }

  /**
   * Builds a table from a server's {@code COMMAND} reply, parsed into lists, strings and longs
   * (RESP2 or RESP3). Entries: name, arity, flags, first key, last key, step, ACL categories (Redis
   * 6+), tips, key specs, subcommands (Redis 7+).
   */
  public static CommandTable fromCommandReply(List<?> reply) {
    List<CommandSpec> all = new ArrayList<>();
    for (Object entry : reply) {
      addEntry(all, (List<?>) entry);
    }
    return fromSpecs(all);
  }

  private static void addEntry(List<CommandSpec> out, List<?> entry) {
    out.add(
        CommandClassifier.classify(
            String.valueOf(entry.get(0)),
            number(entry.get(1)),
            strings(entry.get(2)),
            entry.size() > 6 ? strings(entry.get(6)) : List.of(),
            number(entry.get(3)),
            number(entry.get(4)),
            number(entry.get(5))));
    if (entry.size() > 9 && entry.get(9) instanceof List<?> children) {
      for (Object child : children) {
        addEntry(out, (List<?>) child);
      }
    }
  }

  private static int number(Object value) {
    return ((Number) value).intValue();
  }

  private static List<String> strings(Object value) {
    List<String> out = new ArrayList<>();
    if (value instanceof Collection<?> items) {
      items.forEach(item -> out.add(String.valueOf(item).toLowerCase(Locale.ROOT)));
    }
    return out;
  }

  private static List<CommandSpec> loadBuiltIn() {
    List<CommandSpec> all = new ArrayList<>();
    try (InputStream in = CommandTable.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t", -1);
        all.add(
            CommandClassifier.classify(
                f[0],
                Integer.parseInt(f[1]),
                split(f[2]),
                split(f[6]),
                Integer.parseInt(f[3]),
                Integer.parseInt(f[4]),
                Integer.parseInt(f[5])));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all;
  }

  private static List<String> split(String csv) {
    return csv.isEmpty() ? List.of() : List.of(csv.split(","));
  }

  /**
   * The same table with the given commands refused: each answers {@code -ERR} with the reason.
   * Names may be {@code NAME} or {@code CONTAINER|SUB}; unknown names are an error, so a typo in
   * the deny list does not silently let a command through.
   */
  public CommandTable deny(Set<String> denied, String reason) {
    if (denied.isEmpty()) {
      return this;
    }
    List<CommandSpec> all = new ArrayList<>();
    Set<String> unseen = new java.util.HashSet<>();
    denied.forEach(name -> unseen.add(name.toUpperCase(Locale.ROOT)));
    for (CommandSpec spec : specs()) {
      all.add(denyIfListed(spec, unseen, reason));
      if (spec.subcommands() != null) {
        for (CommandSpec sub : spec.subcommands().specs()) {
          all.add(denyIfListed(sub, unseen, reason));
        }
      }
    }
    if (!unseen.isEmpty()) {
      throw new IllegalArgumentException("unknown command(s) in the deny list: " + unseen);
    }
    return fromSpecs(all);
  }

  private static CommandSpec denyIfListed(CommandSpec spec, Set<String> unseen, String reason) {
    CommandSpec plain = spec.withSubcommands(null);
    return unseen.remove(spec.name()) ? plain.deny(reason) : plain;
  }

  /** Every spec in the table (top level only), in no particular order. */
  public List<CommandSpec> specs() {
    List<CommandSpec> out = new ArrayList<>(size);
    for (CommandSpec spec : specs) {
      if (spec != null) {
        out.add(spec);
      }
    }
    return out;
  }

  public int size() {
    return size;
  }

  /** Looks up argument {@code index} of {@code args}; {@link CommandSpec#UNKNOWN} if absent. */
  public CommandSpec lookup(CommandArgs args, int index) {
    int length = args.select(index);
    int h = 0;
    for (int i = 0; i < length; i++) {
      h = 31 * h + upper(args.byteAt(i));
    }
    for (int slot = h & mask; names[slot] != null; slot = (slot + 1) & mask) {
      byte[] candidate = names[slot];
      if (candidate.length == length && matches(candidate, args)) {
        return specs[slot];
      }
    }
    return CommandSpec.UNKNOWN;
  }

  /** Looks up a name given as text (tests, config); {@code CONTAINER|SUB} finds a subcommand. */
  public CommandSpec lookup(String name) {
    int bar = name.indexOf('|');
    if (bar >= 0) {
      CommandSpec container = lookup(name.substring(0, bar));
      return container.subcommands() == null
          ? CommandSpec.UNKNOWN
          : container.subcommands().lookup(name.substring(bar + 1));
    }
    return lookup(new TextArgs(name), 0);
  }

  private static boolean matches(byte[] candidate, CommandArgs args) {
    for (int i = 0; i < candidate.length; i++) {
      if (candidate[i] != upper(args.byteAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static int hash(byte[] upperName) {
    int h = 0;
    for (byte b : upperName) {
      h = 31 * h + b;
    }
    return h;
  }

  private static byte upper(byte b) {
    return b >= 'a' && b <= 'z' ? (byte) (b - 32) : b;
  }
}
