// Undo steps for multi-step operations: whatever a failed operation created is removed.

export class Rollback {
  private readonly steps: { what: string; undo: () => void }[] = [];

  add(what: string, undo: () => void): void {
    this.steps.push({ what, undo });
  }

  /** Undoes every step, newest first; a failing step does not stop the others. */
  run(): Error[] {
    const errors: Error[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        step.undo();
      } catch (error) {
        errors.push(
          new Error(`rollback of ${step.what} failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
    }
    return errors;
  }
}

/** Runs `fn`; if it throws, undoes what it registered and rethrows (undo failures attached). */
export function withRollback<T>(fn: (rollback: Rollback) => T): T {
  const rollback = new Rollback();
  try {
    return fn(rollback);
  } catch (error) {
    const failures = rollback.run();
    if (failures.length > 0 && error instanceof Error) Object.assign(error, { rollbackErrors: failures });
    throw error;
  }
}
