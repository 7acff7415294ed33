// The instance's folder `state.dir/application.id` (Kafka Streams' StateDirectory): the lock that keeps a second
// instance out, the process id kept across restarts, one folder per task, and each task's checkpoint file with the
// changelog offsets its persistent stores are known to hold.
//
// Checkpoint rules: a checkpoint is read and deleted when its task starts (while the task runs its stores move past
// it), and written only after a clean commit. Under exactly-once a task folder without a checkpoint may hold writes of
// an aborted or unfinished transaction, so it is wiped and rebuilt from the changelog, as Kafka Streams does for a
// corrupted task.
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StreamsError } from '../../errors.ts'

/** Changelog topic → the offset after the last record the store holds. */
export type Checkpoint = Record<string, number>

// Application folders held by instances of this process; other processes are kept out by the lock file's pid.
const lockedDirs = new Set<string>()

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export class StateDirectory {
  readonly #dir: string
  readonly #eos: boolean
  #locked = false

  constructor(stateDir: string, applicationId: string, eos: boolean) {
    this.#dir = join(stateDir, applicationId)
    this.#eos = eos
  }

  get path(): string {
    return this.#dir
  }

  /**
   * Claims the folder for this instance (two live instances on one folder would corrupt each other's stores) and
   * returns the process id kept there, or a new one: a restarted instance keeps its transactional.id and so fences
   * its crashed predecessor's open transaction at once instead of waiting for it to time out.
   */
  lock(): string {
    mkdirSync(this.#dir, { recursive: true })
    const lock = join(this.#dir, '.lock')
    if (lockedDirs.has(this.#dir)) {
      throw new StreamsError(
        'ILLEGAL_STATE',
        `state directory ${this.#dir} is used by another KafkaStreams instance in this process; give each instance its own state.dir`,
        { setting: 'state.dir' }
      )
    }
    let holder = NaN
    try {
      holder = Number(readFileSync(lock, 'utf8'))
    } catch {}
    if (Number.isInteger(holder) && holder !== process.pid && pidAlive(holder)) {
      throw new StreamsError(
        'ILLEGAL_STATE',
        `state directory ${this.#dir} is locked by process ${holder}; give each instance its own state.dir`,
        { setting: 'state.dir' }
      )
    }
    writeFileSync(lock, String(process.pid))
    lockedDirs.add(this.#dir)
    this.#locked = true
    const metaFile = join(this.#dir, 'kafka-streams-process-metadata')
    let processId: string = randomUUID()
    try {
      const id = (JSON.parse(readFileSync(metaFile, 'utf8')) as { processId?: unknown }).processId
      if (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) processId = id
    } catch {}
    writeFileSync(metaFile, JSON.stringify({ processId }))
    return processId
  }

  unlock(): void {
    if (!this.#locked) return
    rmSync(join(this.#dir, '.lock'), { force: true })
    lockedDirs.delete(this.#dir)
    this.#locked = false
  }

  taskDir(taskId: string): string {
    return join(this.#dir, taskId)
  }

  #checkpointFile(taskId: string): string {
    return join(this.taskDir(taskId), '.checkpoint')
  }

  /** Creates the task's folder; under exactly-once a folder without a checkpoint is wiped first. */
  prepareTaskDir(taskId: string): string {
    const dir = this.taskDir(taskId)
    if (this.#eos && !existsSync(this.#checkpointFile(taskId))) rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    return dir
  }

  /** Reads the task's checkpoint and deletes it: it is valid for one start only. Empty when there is none. */
  takeCheckpoint(taskId: string): Checkpoint {
    let checkpoint: Checkpoint = {}
    try {
      checkpoint = JSON.parse(readFileSync(this.#checkpointFile(taskId), 'utf8')) as Checkpoint
    } catch {}
    rmSync(this.#checkpointFile(taskId), { force: true })
    return checkpoint
  }

  /** Written to a temporary file and renamed, so a crash leaves the old checkpoint or the new one, never half of one. */
  writeCheckpoint(taskId: string, checkpoint: Checkpoint): void {
    mkdirSync(this.taskDir(taskId), { recursive: true })
    const file = this.#checkpointFile(taskId)
    writeFileSync(`${file}.tmp`, JSON.stringify(checkpoint))
    renameSync(`${file}.tmp`, file)
  }
}
