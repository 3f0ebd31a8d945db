import { conditionFailed } from '../errors/errors.js';

// ECS naming rules for snapshot groups: 2-128 characters, starting with a letter (Latin or
// CJK), then letters, digits, ':', '_', '.', '-'; not starting with http:// or https://.
const NAME = /^[\p{L}][\p{L}\p{N}:_.-]{1,127}$/u;

/** Snapshot name rules are a condition check (exit 1), as in the vendor's table. */
export function checkSnapshotName(name: string): void {
  if (/^https?:\/\//i.test(name)) {
    throw conditionFailed(`snapshot name '${name}' must not start with http:// or https://`);
  }
  const length = [...name].length;
  if (length < 2 || length > 128) {
    throw conditionFailed(`snapshot name must be 2-128 characters, got ${length}`);
  }
  if (!NAME.test(name)) {
    throw conditionFailed(
      `snapshot name '${name}' must start with a letter and contain only letters, digits, ':', '_', '.', '-'`,
    );
  }
}

export function checkDescription(description: string): void {
  const length = [...description].length;
  // Optional; when given, ECS takes 2-256 characters.
  if (length === 1 || length > 256) {
    throw conditionFailed(`description must be 2-256 characters, got ${length}`);
  }
  if (/^https?:\/\//i.test(description)) {
    throw conditionFailed('description must not start with http:// or https://');
  }
}
