// Preloaded into the service process (node --import) only when the service does not read PROCESSING_GUARANTEE
// itself yet: it adds `processing.guarantee` from that variable to the engine's KafkaStreams settings as the module
// loads, so the suite can run the engine under exactly_once_v2 today. Results say when this bridge was used, and the
// suite checks on the broker (transactional ids of the application) that exactly-once really was in effect.
import { registerHooks } from 'node:module'

const ANCHOR = "'cache.max.bytes.buffering': 0,"

registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context)
    if (!url.endsWith('/ratings-service/src/engine.ts') || result.source === undefined) return result
    const source = String(result.source)
    if (!source.includes(ANCHOR)) {
      process.stderr.write('reliability eos-bridge: engine.ts changed; processing.guarantee not injected\n')
      return result
    }
    const guarantee = JSON.stringify(process.env.PROCESSING_GUARANTEE ?? 'at_least_once')
    return { ...result, source: source.replace(ANCHOR, `${ANCHOR} 'processing.guarantee': ${guarantee},`) }
  }
})
