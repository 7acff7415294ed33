package bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The tutorial's running average on a real broker under Kafka Streams (bench/e2e.sh's Java baseline). In-memory
 * stores with changelogs, as kstreams-ts's default stores. Prints {"event":"started","at":ms} just before start(),
 * runs until SIGTERM, then closes cleanly.
 *
 * <p>Args: bootstrap appId inputTopic outputTopic guarantee cacheBytes commitIntervalMs stateDir
 */
public final class E2eRunningAverage {
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

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], appId = args[1], input = args[2], output = args[3], guarantee = args[4];
    long cacheBytes = Long.parseLong(args[5]);
    long commitMs = Long.parseLong(args[6]);
    String stateDir = args[7];

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.Long(), json(Rating.class)))
        .map((k, r) -> KeyValue.pair(r.movieId, r.rating))
        .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
        .aggregate(CountAndSum::new, (k, v, a) -> { a.count += 1; a.sum += v; return a; },
            Materialized.<Long, CountAndSum>as(Stores.inMemoryKeyValueStore("count-and-sum"))
                .withKeySerde(Serdes.Long()).withValueSerde(json(CountAndSum.class)))
        .mapValues(a -> a.sum / a.count,
            Materialized.<Long, Double>as(Stores.inMemoryKeyValueStore("average-ratings"))
                .withKeySerde(Serdes.Long()).withValueSerde(Serdes.Double()))
        .toStream()
        .to(output, Produced.with(Serdes.Long(), Serdes.Double()));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setUncaughtExceptionHandler(e -> {
      System.err.println("stream thread failed: " + e);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(30));
      stopped.countDown();
    }));
    System.out.println("{\"event\":\"started\",\"at\":" + System.currentTimeMillis() + "}");
    System.out.flush();
    streams.start();
    stopped.await();
  }
}
