// Driver and component names, as Docker limits plugin names (distribution's reference grammar):
// lowercase alphanumerics, components joined by one separator (".", "_", "__" or dashes) and
// paths of them joined by "/", at most 255 characters. Names are printed by `driver ls`, put in
// error messages and logs, and compared by the registry: nothing else may reach them.
import { excerpt } from '../excerpt.js';
import { InvalidParameter } from './errors.js';

/** distribution/reference's NameTotalLengthMax. */
export const NAME_MAX_LENGTH = 255;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/** Throws InvalidParameter unless `name` is a valid name of a `what` ("driver", "ipam", "component"). */
export function checkDriverName(what: string, name: string): void {
  if (name.length === 0) throw new InvalidParameter(`${what} name must not be empty`);
  if (name.length > NAME_MAX_LENGTH || !NAME.test(name))
    throw new InvalidParameter(
      `${what} name ${excerpt(name)} is invalid: lowercase letters and digits, separated by ".", "_", "__", "-" or "/", at most ${NAME_MAX_LENGTH} characters`,
    );
}
