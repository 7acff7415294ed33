package conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

/** Named builders: topologies that the step vocabulary cannot express, implemented once here and once in TypeScript. */
final class Builders {
  private Builders() {}

  static Object build(String name, JsonNode step, Map<String, Object> handles) {
    return switch (name) {
      case "runningAverage" -> runningAverage(step, handles);
      default -> throw new IllegalArgumentException("unknown builder " + name);
    };
  }

  /** The tutorial's CountAndSum. */
  static final class CountAndSum {
    long count;
    double sum;
  }

  /** CountAndSum as 16 bytes: count (Long, big-endian) then sum (Double, big-endian). */
  static final Serde<CountAndSum> COUNT_AND_SUM = Serdes.serdeFrom(
      (Serializer<CountAndSum>) (topic, v) -> v == null ? null : ByteBuffer.allocate(16).putLong(v.count).putDouble(v.sum).array(),
      (Deserializer<CountAndSum>) (topic, b) -> {
        if (b == null) return null;
        ByteBuffer buf = ByteBuffer.wrap(b);
        CountAndSum c = new CountAndSum();
        c.count = buf.getLong();
        c.sum = buf.getDouble();
        return c;
      });

  /**
   * The tutorial's getRatingAverageTable after its map step: a KStream<Long, Double> of (movieId, rating) is grouped by
   * key, aggregated into CountAndSum, and mapped to sum / count into the store named by "store".
   */
  private static KTable<Long, Double> runningAverage(JsonNode step, Map<String, Object> handles) {
    @SuppressWarnings("unchecked")
    KStream<Long, Double> ratings = (KStream<Long, Double>) handles.get(step.get("from").asText());
    KTable<Long, CountAndSum> countAndSum = ratings
        .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
        .aggregate(
            CountAndSum::new,
            (key, value, agg) -> {
              agg.count = agg.count + 1;
              agg.sum = agg.sum + value;
              return agg;
            },
            Materialized.with(Serdes.Long(), COUNT_AND_SUM));
    return countAndSum.mapValues(
        v -> v.sum / v.count,
        Materialized.<Long, Double, KeyValueStore<Bytes, byte[]>>as(step.get("store").asText())
            .withKeySerde(Serdes.Long())
            .withValueSerde(Serdes.Double()));
  }
}
