package bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Properties;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/** The tutorial's running average on Kafka Streams' TopologyTestDriver, JSON values, in-memory stores, no cache. */
public final class TtdRunningAverage {
  public static final class Rating { public long movieId; public double rating; }
  public static final class CountAndSum { public long count; public double sum; }

  static <T> Serde<T> json(Class<T> type) {
    ObjectMapper mapper = new ObjectMapper();
    Serializer<T> ser = (topic, value) -> {
      try { return value == null ? null : mapper.writeValueAsBytes(value); } catch (Exception e) { throw new RuntimeException(e); }
    };
    Deserializer<T> de = (topic, bytes) -> {
      try { return bytes == null ? null : mapper.readValue(bytes, type); } catch (Exception e) { throw new RuntimeException(e); }
    };
    return Serdes.serdeFrom(ser, de);
  }

  public static void main(String[] args) {
    int n = Integer.parseInt(args.length > 0 ? args[0] : "200000");
    int movies = 1000;
    StreamsBuilder builder = new StreamsBuilder();
    Serde<Rating> ratingSerde = json(Rating.class);
    Serde<CountAndSum> casSerde = json(CountAndSum.class);
    builder.stream("ratings", Consumed.with(Serdes.Long(), ratingSerde))
        .map((k, r) -> KeyValue.pair(r.movieId, r.rating))
        .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
        .aggregate(CountAndSum::new, (k, v, a) -> { a.count += 1; a.sum += v; return a; },
            Materialized.<Long, CountAndSum>as(Stores.inMemoryKeyValueStore("count-and-sum")).withKeySerde(Serdes.Long()).withValueSerde(casSerde))
        .mapValues(a -> a.sum / a.count,
            Materialized.<Long, Double>as(Stores.inMemoryKeyValueStore("average-ratings")).withKeySerde(Serdes.Long()).withValueSerde(Serdes.Double()))
        .toStream().to("rating-averages", Produced.with(Serdes.Long(), Serdes.Double()));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    for (int round = 0; round < 3; round++) {
      try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
        TestInputTopic<Long, Rating> in = driver.createInputTopic("ratings", Serdes.Long().serializer(), ratingSerde.serializer());
        var out = driver.createOutputTopic("rating-averages", Serdes.Long().deserializer(), Serdes.Double().deserializer());
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
          Rating r = new Rating();
          r.movieId = 1 + (i % movies);
          r.rating = 1 + (i % 10);
          in.pipeInput((long) i, r, i);
          if ((i & 1023) == 0) out.readRecordsToList();
        }
        out.readRecordsToList();
        double secs = (System.nanoTime() - start) / 1e9;
        if (round == 2) System.out.printf("{\"impl\":\"kafka-streams-java-ttd\",\"records\":%d,\"seconds\":%.3f,\"recordsPerSecond\":%.0f}%n", n, secs, n / secs);
      }
    }
  }
}
