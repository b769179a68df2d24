/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#ifndef TLSI_VERSION_H
#define TLSI_VERSION_H

#define TLSI_VERSION "1.0.0"

#endif /* TLSI_VERSION_H */
