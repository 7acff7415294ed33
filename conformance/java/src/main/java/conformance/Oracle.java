package conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.BranchedKStream;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KGroupedTable;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.SessionWindowedKStream;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindowedKStream;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Runs every conformance scenario on Kafka Streams' TopologyTestDriver and writes the golden files.
 * Usage: Oracle <scenarios dir> <golden dir>. The format is specified in conformance/README.md.
 */
@SuppressWarnings({"unchecked", "rawtypes"})
public final class Oracle {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    Path scenarios = Path.of(args[0]);
    Path golden = Path.of(args[1]);
    Files.createDirectories(golden);
    Path stateDir = Files.createTempDirectory("conformance-state");
    List<Path> files;
    try (Stream<Path> s = Files.list(scenarios)) {
      files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    int errors = 0;
    for (Path file : files) {
      JsonNode scenario = MAPPER.readTree(file.toFile());
      String name = scenario.get("name").asText();
      String expected = file.getFileName().toString().replaceFirst("\\.json$", "");
      if (!name.equals(expected)) throw new IllegalStateException(file + ": name must be " + expected);
      Map<String, Object> result = new Oracle(scenario, stateDir.resolve(name)).run();
      if (result.containsKey("error")) errors++;
      Files.writeString(golden.resolve(name + ".json"), Json.stringify(result), StandardCharsets.UTF_8);
    }
    Files.writeString(golden.resolve("serdes.json"), Json.stringify(SerdeVectors.all()), StandardCharsets.UTF_8);
    deleteRecursively(stateDir);
    System.out.println(files.size() + " scenarios (" + errors + " recording an error) + serdes.json -> " + golden);
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }

  private final JsonNode scenario;
  private final Path stateDir;
  private final Map<String, Object> handles = new HashMap<>();
  /** Serdes of each source topic, from the stream/table step that reads it. */
  private final Map<String, Serde[]> sourceSerdes = new HashMap<>();

  private Oracle(JsonNode scenario, Path stateDir) {
    this.scenario = scenario;
    this.stateDir = stateDir;
  }

  private Map<String, Object> run() {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("name", scenario.get("name").asText());
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "conformance");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    JsonNode config = scenario.get("config");
    if (config != null) config.fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
    try {
      StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
      for (JsonNode step : scenario.get("topology")) step(builder, step);
      Topology topology = builder.build(props);
      String describe = topology.describe().toString();
      try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(0))) {
        pipe(driver);
        result.put("describe", describe);
        result.put("outputs", outputs(driver));
        result.put("stores", stores(driver));
        result.put("metrics", metrics(driver));
      }
    } catch (Exception e) {
      result.clear();
      result.put("name", scenario.get("name").asText());
      result.put("error", e.getClass().getName() + ": " + e.getMessage());
    }
    return result;
  }

  // ---- topology ----

  static Serde serde(JsonNode n) {
    if (n == null || n.isNull()) return null;
    return switch (n.asText()) {
      case "String" -> Serdes.String();
      case "Long" -> Serdes.Long();
      case "Integer" -> Serdes.Integer();
      case "Double" -> Serdes.Double();
      default -> throw new IllegalArgumentException("unknown serde " + n);
    };
  }

  private static String text(JsonNode step, String field) {
    JsonNode n = step.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private <T> T handle(JsonNode step, String field) {
    String h = text(step, field);
    Object o = handles.get(h);
    if (o == null) throw new IllegalArgumentException("unknown handle '" + h + "' in " + step);
    return (T) o;
  }

  private void put(JsonNode step, Object value) {
    String as = text(step, "as");
    if (as != null) handles.put(as, value);
  }

  /**
   * Materialized for a step: Materialized.as(store) with the step's serdes when "store" is given; otherwise, for
   * aggregations (withSerdesOnly), Materialized.with(key, value) when a serde is given; otherwise null (use the
   * overload without Materialized).
   */
  private static Materialized materialized(JsonNode step, boolean withSerdesOnly) {
    String store = text(step, "store");
    Serde k = serde(step.get("key"));
    Serde v = serde(step.get("value"));
    if (store == null) return withSerdesOnly && (k != null || v != null) ? Materialized.with(k, v) : null;
    Materialized m = Materialized.as(store);
    if (k != null) m = m.withKeySerde(k);
    if (v != null) m = m.withValueSerde(v);
    return m;
  }

  private static Grouped grouped(JsonNode step) {
    String name = text(step, "name");
    Serde k = serde(step.get("key"));
    Serde v = serde(step.get("value"));
    return name == null ? Grouped.with(k, v) : Grouped.as(name).withKeySerde(k).withValueSerde(v);
  }

  private void step(StreamsBuilder builder, JsonNode step) {
    String op = text(step, "op");
    String name = text(step, "name");
    Named named = name == null ? null : Named.as(name);
    JsonNode fn = step.get("fn");
    switch (op) {
      case "stream" -> {
        List<String> topics = new ArrayList<>();
        Serde k = serde(step.get("key"));
        Serde v = serde(step.get("value"));
        step.get("topics").forEach(t -> topics.add(t.asText()));
        topics.forEach(t -> sourceSerdes.put(t, new Serde[] {k, v}));
        Consumed c = Consumed.with(k, v);
        if (name != null) c = c.withName(name);
        put(step, builder.stream(topics, c));
      }
      case "table" -> {
        Serde k = serde(step.get("key"));
        Serde v = serde(step.get("value"));
        String topic = text(step, "topic");
        sourceSerdes.put(topic, new Serde[] {k, v});
        Consumed c = Consumed.with(k, v);
        if (name != null) c = c.withName(name);
        Materialized m = materialized(step, false);
        put(step, m == null ? builder.table(topic, c) : builder.table(topic, c, m));
      }
      case "builder" -> put(step, Builders.build(text(step, "name"), step, handles));
      default -> {
        Object from = handle(step, "from");
        if (from instanceof KStream s) put(step, streamStep(s, op, step, named, fn));
        else if (from instanceof KTable t) put(step, tableStep(t, op, step, named, fn));
        else if (from instanceof KGroupedStream g) put(step, groupedStreamStep(g, op, step, named, fn));
        else if (from instanceof KGroupedTable g) put(step, groupedTableStep(g, op, step, named, fn));
        else if (from instanceof TimeWindowedKStream w) put(step, timeWindowedStep(w, op, step, named, fn));
        else if (from instanceof SessionWindowedKStream w) put(step, sessionWindowedStep(w, op, step, named, fn));
        else throw new IllegalArgumentException("cannot apply " + op + " to " + from);
      }
    }
  }

  private Object streamStep(KStream s, String op, JsonNode step, Named named, JsonNode fn) {
    Serde k = serde(step.get("key"));
    Serde v = serde(step.get("value"));
    switch (op) {
      case "filter":
        return named == null ? s.filter(Functions.predicate(fn)) : s.filter(Functions.predicate(fn), named);
      case "filterNot":
        return named == null ? s.filterNot(Functions.predicate(fn)) : s.filterNot(Functions.predicate(fn), named);
      case "map":
        return named == null ? s.map(Functions.kvMapper(fn)) : s.map(Functions.kvMapper(fn), named);
      case "mapValues":
        return named == null ? s.mapValues(Functions.valueMapper(fn)) : s.mapValues(Functions.valueMapper(fn), named);
      case "selectKey":
        return named == null ? s.selectKey(Functions.keyMapper(fn)) : s.selectKey(Functions.keyMapper(fn), named);
      case "flatMap":
        return named == null ? s.flatMap(Functions.flatMapper(fn)) : s.flatMap(Functions.flatMapper(fn), named);
      case "flatMapValues":
        return named == null
            ? s.flatMapValues(Functions.flatValueMapper(fn))
            : s.flatMapValues(Functions.flatValueMapper(fn), named);
      case "peek":
        return named == null ? s.peek((a, b) -> {}) : s.peek((a, b) -> {}, named);
      case "merge": {
        KStream other = handle(step, "other");
        return named == null ? s.merge(other) : s.merge(other, named);
      }
      case "to": {
        Produced p = Produced.with(k, v);
        if (named != null) p = p.withName(text(step, "name"));
        s.to(text(step, "topic"), p);
        return null;
      }
      case "toTable": {
        Materialized m = materialized(step, false);
        if (m == null) return named == null ? s.toTable() : s.toTable(named);
        return named == null ? s.toTable(m) : s.toTable(named, m);
      }
      case "repartition": {
        String name = text(step, "name");
        Repartitioned r = name == null ? Repartitioned.with(k, v) : Repartitioned.as(name).withKeySerde(k).withValueSerde(v);
        if (step.has("partitions")) r = r.withNumberOfPartitions(step.get("partitions").asInt());
        return s.repartition(r);
      }
      case "groupByKey":
        return s.groupByKey(grouped(step));
      case "groupBy":
        return s.groupBy(Functions.keyMapper(fn), grouped(step));
      case "split": {
        BranchedKStream b = named == null ? s.split() : s.split(named);
        for (JsonNode br : step.get("branches")) {
          String as = text(br, "as");
          String bname = text(br, "name");
          java.util.function.Consumer<KStream<Object, Object>> c = ks -> handles.put(as, ks);
          b = b.branch(Functions.predicate(br.get("fn")), bname == null ? Branched.withConsumer(c) : Branched.withConsumer(c, bname));
        }
        JsonNode d = step.get("defaultBranch");
        if (d == null) {
          b.noDefaultBranch();
        } else {
          String as = text(d, "as");
          String bname = text(d, "name");
          java.util.function.Consumer<KStream<Object, Object>> c = ks -> handles.put(as, ks);
          b.defaultBranch(bname == null ? Branched.withConsumer(c) : Branched.withConsumer(c, bname));
        }
        return null;
      }
      case "join":
      case "leftJoin":
      case "outerJoin": {
        if (step.has("table")) {
          KTable t = handle(step, "table");
          Joined j = Joined.with(k, v, serde(step.get("otherValue")));
          if (named != null) j = j.withName(text(step, "name"));
          return op.equals("join")
              ? s.join(t, Functions.joiner(fn), j)
              : op.equals("leftJoin") ? s.leftJoin(t, Functions.joiner(fn), j) : fail(op + " with a table");
        }
        KStream other = handle(step, "other");
        JsonNode w = step.get("window");
        JoinWindows jw = w.has("graceMs")
            ? JoinWindows.ofTimeDifferenceAndGrace(Duration.ZERO, Duration.ofMillis(w.get("graceMs").asLong()))
            : JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ZERO);
        jw = jw.before(Duration.ofMillis(w.get("beforeMs").asLong())).after(Duration.ofMillis(w.get("afterMs").asLong()));
        StreamJoined sj = StreamJoined.with(k, v, serde(step.get("otherValue")));
        if (named != null) sj = sj.withName(text(step, "name"));
        if (step.has("store")) sj = sj.withStoreName(text(step, "store"));
        return switch (op) {
          case "join" -> s.join(other, Functions.joiner(fn), jw, sj);
          case "leftJoin" -> s.leftJoin(other, Functions.joiner(fn), jw, sj);
          default -> s.outerJoin(other, Functions.joiner(fn), jw, sj);
        };
      }
      default:
        return fail("unknown KStream step " + op);
    }
  }

  private static Object fail(String message) {
    throw new IllegalArgumentException(message);
  }

  private Object tableStep(KTable t, String op, JsonNode step, Named named, JsonNode fn) {
    Materialized m = materialized(step, false);
    switch (op) {
      case "filter":
      case "filterNot": {
        var p = Functions.predicate(fn);
        boolean not = op.equals("filterNot");
        if (m == null) return named == null ? (not ? t.filterNot(p) : t.filter(p)) : (not ? t.filterNot(p, named) : t.filter(p, named));
        return named == null ? (not ? t.filterNot(p, m) : t.filter(p, m)) : (not ? t.filterNot(p, named, m) : t.filter(p, named, m));
      }
      case "mapValues": {
        var f = Functions.valueMapper(fn);
        if (m == null) return named == null ? t.mapValues(f) : t.mapValues(f, named);
        return named == null ? t.mapValues(f, m) : t.mapValues(f, named, m);
      }
      case "toStream":
        if (fn == null) return named == null ? t.toStream() : t.toStream(named);
        return named == null ? t.toStream(Functions.keyMapper(fn)) : t.toStream(Functions.keyMapper(fn), named);
      case "suppress": {
        String until = text(step, "until");
        Suppressed sup = switch (until) {
          case "windowCloses" -> Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded());
          case "timeLimit" -> Suppressed.untilTimeLimit(
              Duration.ofMillis(step.get("timeLimitMs").asLong()), Suppressed.BufferConfig.unbounded());
          default -> throw new IllegalArgumentException("unknown suppress " + until);
        };
        if (named != null) sup = sup.withName(text(step, "name"));
        return t.suppress(sup);
      }
      case "groupBy":
        return t.groupBy(Functions.kvMapper(fn), grouped(step));
      case "join":
      case "leftJoin":
      case "outerJoin": {
        KTable other = handle(step, "other");
        var j = Functions.joiner(fn);
        if (op.equals("join")) {
          if (m == null) return named == null ? t.join(other, j) : t.join(other, j, named);
          return named == null ? t.join(other, j, m) : t.join(other, j, named, m);
        }
        if (op.equals("leftJoin")) {
          if (m == null) return named == null ? t.leftJoin(other, j) : t.leftJoin(other, j, named);
          return named == null ? t.leftJoin(other, j, m) : t.leftJoin(other, j, named, m);
        }
        if (m == null) return named == null ? t.outerJoin(other, j) : t.outerJoin(other, j, named);
        return named == null ? t.outerJoin(other, j, m) : t.outerJoin(other, j, named, m);
      }
      default:
        return fail("unknown KTable step " + op);
    }
  }

  private Object groupedStreamStep(KGroupedStream g, String op, JsonNode step, Named named, JsonNode fn) {
    Materialized m = materialized(step, true);
    switch (op) {
      case "windowedBy": {
        JsonNode w = step.get("windows");
        String type = w.get("type").asText();
        Duration grace = w.has("graceMs") ? Duration.ofMillis(w.get("graceMs").asLong()) : null;
        return switch (type) {
          case "tumbling", "hopping" -> {
            Duration size = Duration.ofMillis(w.get("sizeMs").asLong());
            TimeWindows tw = grace == null ? TimeWindows.ofSizeWithNoGrace(size) : TimeWindows.ofSizeAndGrace(size, grace);
            if (type.equals("hopping")) tw = tw.advanceBy(Duration.ofMillis(w.get("advanceMs").asLong()));
            yield g.windowedBy(tw);
          }
          case "session" -> {
            Duration gap = Duration.ofMillis(w.get("gapMs").asLong());
            yield g.windowedBy(grace == null
                ? SessionWindows.ofInactivityGapWithNoGrace(gap)
                : SessionWindows.ofInactivityGapAndGrace(gap, grace));
          }
          case "sliding" -> {
            Duration diff = Duration.ofMillis(w.get("timeDifferenceMs").asLong());
            yield g.windowedBy(grace == null
                ? SlidingWindows.ofTimeDifferenceWithNoGrace(diff)
                : SlidingWindows.ofTimeDifferenceAndGrace(diff, grace));
          }
          default -> throw new IllegalArgumentException("unknown windows " + type);
        };
      }
      case "count":
        if (m == null) return named == null ? g.count() : g.count(named);
        return named == null ? g.count(m) : g.count(named, m);
      case "reduce":
        if (m == null && named == null) return g.reduce(Functions.reducer(fn));
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.reduce(Functions.reducer(fn), m) : g.reduce(Functions.reducer(fn), named, m);
      case "aggregate": {
        var init = Functions.initializer(step.get("init"));
        var agg = Functions.aggregator(fn);
        if (m == null && named == null) return g.aggregate(init, agg);
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.aggregate(init, agg, m) : g.aggregate(init, agg, named, m);
      }
      default:
        return fail("unknown KGroupedStream step " + op);
    }
  }

  private Object groupedTableStep(KGroupedTable g, String op, JsonNode step, Named named, JsonNode fn) {
    Materialized m = materialized(step, true);
    switch (op) {
      case "count":
        if (m == null) return named == null ? g.count() : g.count(named);
        return named == null ? g.count(m) : g.count(named, m);
      case "reduce": {
        var add = Functions.reducer(step.get("adder"));
        var sub = Functions.reducer(step.get("subtractor"));
        if (m == null && named == null) return g.reduce(add, sub);
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.reduce(add, sub, m) : g.reduce(add, sub, named, m);
      }
      case "aggregate": {
        var init = Functions.initializer(step.get("init"));
        var add = Functions.aggregator(step.get("adder"));
        var sub = Functions.aggregator(step.get("subtractor"));
        if (m == null && named == null) return g.aggregate(init, add, sub);
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.aggregate(init, add, sub, m) : g.aggregate(init, add, sub, named, m);
      }
      default:
        return fail("unknown KGroupedTable step " + op);
    }
  }

  private Object timeWindowedStep(TimeWindowedKStream g, String op, JsonNode step, Named named, JsonNode fn) {
    Materialized m = materialized(step, true);
    switch (op) {
      case "count":
        if (m == null) return named == null ? g.count() : g.count(named);
        return named == null ? g.count(m) : g.count(named, m);
      case "reduce":
        if (m == null && named == null) return g.reduce(Functions.reducer(fn));
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.reduce(Functions.reducer(fn), m) : g.reduce(Functions.reducer(fn), named, m);
      case "aggregate": {
        var init = Functions.initializer(step.get("init"));
        var agg = Functions.aggregator(fn);
        if (m == null && named == null) return g.aggregate(init, agg);
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.aggregate(init, agg, m) : g.aggregate(init, agg, named, m);
      }
      default:
        return fail("unknown windowed step " + op);
    }
  }

  private Object sessionWindowedStep(SessionWindowedKStream g, String op, JsonNode step, Named named, JsonNode fn) {
    Materialized m = materialized(step, true);
    switch (op) {
      case "count":
        if (m == null) return named == null ? g.count() : g.count(named);
        return named == null ? g.count(m) : g.count(named, m);
      case "reduce":
        if (m == null && named == null) return g.reduce(Functions.reducer(fn));
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.reduce(Functions.reducer(fn), m) : g.reduce(Functions.reducer(fn), named, m);
      case "aggregate": {
        var init = Functions.initializer(step.get("init"));
        var agg = Functions.aggregator(fn);
        var merger = Functions.merger(step.get("merger"));
        if (m == null && named == null) return g.aggregate(init, agg, merger);
        if (m == null) m = Materialized.with(null, null);
        return named == null ? g.aggregate(init, agg, merger, m) : g.aggregate(init, agg, merger, named, m);
      }
      default:
        return fail("unknown session-windowed step " + op);
    }
  }

  // ---- running ----

  static Object fromJson(JsonNode n, Serde serde) {
    if (n == null || n.isNull()) return null;
    if (serde == null) throw new IllegalArgumentException("no serde for " + n);
    Class<?> c = serdeType(serde);
    if (c == String.class) return n.asText();
    if (c == Long.class) return n.asLong();
    if (c == Integer.class) return n.asInt();
    if (c == Double.class) return n.asDouble();
    throw new IllegalArgumentException("unsupported serde " + serde);
  }

  static Class<?> serdeType(Serde serde) {
    Serializer s = serde.serializer();
    if (s instanceof org.apache.kafka.common.serialization.StringSerializer) return String.class;
    if (s instanceof org.apache.kafka.common.serialization.LongSerializer) return Long.class;
    if (s instanceof org.apache.kafka.common.serialization.IntegerSerializer) return Integer.class;
    if (s instanceof org.apache.kafka.common.serialization.DoubleSerializer) return Double.class;
    return Object.class;
  }

  private void pipe(TopologyTestDriver driver) {
    Map<String, TestInputTopic> inputs = new HashMap<>();
    for (JsonNode in : scenario.get("inputs")) {
      if (in.has("advanceWallClockMs")) {
        driver.advanceWallClockTime(Duration.ofMillis(in.get("advanceWallClockMs").asLong()));
        continue;
      }
      String topic = in.get("topic").asText();
      Serde[] serdes = sourceSerdes.get(topic);
      if (serdes == null) throw new IllegalArgumentException("no source reads topic " + topic);
      TestInputTopic input = inputs.computeIfAbsent(
          topic, t -> driver.createInputTopic(t, serdes[0].serializer(), serdes[1].serializer()));
      Headers headers = new RecordHeaders();
      if (in.has("headers")) {
        for (JsonNode h : in.get("headers")) {
          headers.add(h.get(0).asText(), h.get(1).isNull() ? null : h.get(1).asText().getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!in.has("timestamp")) throw new IllegalArgumentException("input without timestamp: " + in);
      input.pipeInput(new org.apache.kafka.streams.test.TestRecord(
          fromJson(in.get("key"), serdes[0]), fromJson(in.get("value"), serdes[1]), headers, in.get("timestamp").asLong()));
    }
  }

  private static List<Object> headers(Headers headers) {
    List<Object> out = new ArrayList<>();
    for (Header h : headers) {
      List<Object> pair = new ArrayList<>();
      pair.add(h.key());
      pair.add(h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
      out.add(pair);
    }
    return out;
  }

  private Map<String, Object> outputs(TopologyTestDriver driver) {
    Map<String, Object> out = new LinkedHashMap<>();
    JsonNode outputs = scenario.get("outputs");
    if (outputs == null) return out;
    for (JsonNode o : outputs) {
      String topic = o.get("topic").asText();
      Deserializer kd = serde(o.get("key")).deserializer();
      Deserializer vd = serde(o.get("value")).deserializer();
      TestOutputTopic t = driver.createOutputTopic(topic, kd, vd);
      List<Object> records = new ArrayList<>();
      for (Object r : t.readRecordsToList()) {
        var rec = (org.apache.kafka.streams.test.TestRecord) r;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", rec.key());
        m.put("value", rec.value());
        m.put("timestamp", rec.timestamp());
        m.put("headers", headers(rec.headers()));
        records.add(m);
      }
      out.put(topic, records);
    }
    return out;
  }

  /** Sort order for dumped window/session keys: numbers numerically, strings by UTF-16 code units. */
  static int compareKeys(Object a, Object b) {
    if (a instanceof Number && b instanceof Number) return Functions.compare(a, b);
    return ((String) a).compareTo((String) b);
  }

  private Map<String, Object> stores(TopologyTestDriver driver) {
    Map<String, Object> out = new LinkedHashMap<>();
    JsonNode stores = scenario.get("stores");
    if (stores == null) return out;
    for (JsonNode s : stores) {
      String name = s.get("name").asText();
      String type = s.get("type").asText();
      List<Map<String, Object>> rows = new ArrayList<>();
      switch (type) {
        case "keyValue" -> {
          KeyValueStore store = driver.getKeyValueStore(name);
          if (store == null) {
            throw new IllegalArgumentException("no key-value store " + name + " among " + driver.getAllStateStores().keySet());
          }
          try (KeyValueIterator it = store.all()) {
            while (it.hasNext()) {
              KeyValue kv = (KeyValue) it.next();
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("key", kv.key);
              m.put("value", kv.value);
              rows.add(m);
            }
          }
        }
        case "window" -> {
          WindowStore store = driver.getWindowStore(name);
          if (store == null) throw new IllegalArgumentException("no window store " + name);
          try (KeyValueIterator it = store.all()) {
            while (it.hasNext()) {
              KeyValue kv = (KeyValue) it.next();
              Windowed w = (Windowed) kv.key;
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("key", w.key());
              m.put("windowStart", w.window().start());
              m.put("windowEnd", w.window().end());
              m.put("value", kv.value);
              rows.add(m);
            }
          }
          rows.sort(Comparator.<Map<String, Object>, Object>comparing(m -> m.get("key"), Oracle::compareKeys)
              .thenComparing(m -> (Long) m.get("windowStart")));
        }
        case "session" -> {
          SessionStore store = driver.getSessionStore(name);
          if (store == null) throw new IllegalArgumentException("no session store " + name);
          try (KeyValueIterator it = store.fetch(null, null)) {
            while (it.hasNext()) {
              KeyValue kv = (KeyValue) it.next();
              Windowed w = (Windowed) kv.key;
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("key", w.key());
              m.put("start", w.window().start());
              m.put("end", w.window().end());
              m.put("value", kv.value);
              rows.add(m);
            }
          }
          rows.sort(Comparator.<Map<String, Object>, Object>comparing(m -> m.get("key"), Oracle::compareKeys)
              .thenComparing(m -> (Long) m.get("end"))
              .thenComparing(m -> (Long) m.get("start")));
        }
        default -> throw new IllegalArgumentException("unknown store type " + type);
      }
      out.put(name, rows);
    }
    return out;
  }

  private static Map<String, Object> metrics(TopologyTestDriver driver) {
    double dropped = 0;
    for (Map.Entry<MetricName, ?> e : driver.metrics().entrySet()) {
      MetricName n = e.getKey();
      if (n.name().equals("dropped-records-total") && n.group().equals("stream-task-metrics")) {
        dropped += ((Number) ((org.apache.kafka.common.Metric) e.getValue()).metricValue()).doubleValue();
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("dropped-records-total", (long) dropped);
    return out;
  }

  static String hex(byte[] b) {
    if (b == null) return null;
    StringBuilder s = new StringBuilder();
    for (byte x : b) s.append(String.format("%02x", x & 0xff));
    return s.toString();
  }
}
