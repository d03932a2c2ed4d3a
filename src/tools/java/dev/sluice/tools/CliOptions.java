package dev.sluice.tools;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The "--name value" and "--flag" options of the bench tools in the gateway jar (RecallBench,
 * ChangeLatencyBench). Fifteen lines of parsing do not earn a CLI library inside the gateway's
 * fat jar, and both tools must read their options the same way.
 */
public final class CliOptions {
  private CliOptions() {}

  /**
   * @param defaults every option that takes a value, with its default (null: none)
   * @param flags options without a value; present means "true"
   */
  public static Map<String, String> parse(String[] args, Map<String, String> defaults, Set<String> flags) {
    Map<String, String> o = new LinkedHashMap<>(defaults);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
      String name = a.substring(2);
      if (flags.contains(name)) {
        o.put(name, "true");
      } else if (defaults.containsKey(name) && i + 1 < args.length) {
        o.put(name, args[++i]);
      } else {
        Set<String> known = new TreeSet<>(defaults.keySet());
        known.addAll(flags);
        throw new IllegalArgumentException("unknown option " + a + " (options: --" + String.join(" --", known) + ")");
      }
    }
    return o;
  }
}
